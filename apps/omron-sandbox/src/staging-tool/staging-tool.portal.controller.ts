import { Body, Controller, Get, Post, Query, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import { MEASUREMENT_TYPES } from '@opendsp/omron-api';
import { DISTANCE_UNITS, TEMPERATURE_UNITS, WEIGHT_UNITS } from '../measurements/index.js';
import { CreateTestUserDto, GenerateReadingsDto, PreferencesDto } from './dto/staging-tool.dto.js';
import { validateForm } from './form-validation.js';
import { ReadingUploadError } from './reading-upload.js';
import { readingsTemplate } from './readings-spreadsheet.js';
import { StagingToolInputError, StagingToolService } from './staging-tool.service.js';
import { ToolSessions } from './tool-sessions.service.js';

const DAY_MS = 86_400_000;
const PORTAL_MAX_GENERATE = 100_000;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface UploadedSpreadsheet {
  buffer: Buffer;
  size: number;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The staging tool's pages (OMRON's tool.omronwellness.com): sign up, sign in, generate readings,
 * download the Excel template and upload a filled one. Forms post, then redirect (303) to a page.
 */
@Controller('tool')
export class StagingToolPortalController {
  constructor(
    private readonly tool: StagingToolService,
    private readonly sessions: ToolSessions,
  ) {}

  @Get()
  async home(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (await this.sessions.userId(request)) return response.redirect(303, '/tool/readings');
    response.render('staging-tool/home', { title: 'Staging tool' });
  }

  @Get('signup')
  signUpPage(@Req() request: Request, @Res() response: Response): void {
    response.render('staging-tool/signup', { title: 'Sign up', csrf: this.sessions.csrfToken(request, response), form: {} });
  }

  @Post('signup')
  async signUp(@Req() request: Request, @Res() response: Response, @Body() body: Record<string, unknown>): Promise<void> {
    if (!this.sessions.csrfValid(request, body?._csrf)) return this.forbidden(response);
    const rerender = (errors: string[]) =>
      response
        .status(400)
        .render('staging-tool/signup', { title: 'Sign up', csrf: this.sessions.csrfToken(request, response), form: body, errors });
    const { value, errors } = await validateForm(CreateTestUserDto, body);
    if (errors.length > 0) return rerender(errors);
    try {
      const user = await this.tool.signUp(value);
      await this.sessions.start(request, response, (await this.tool.findUser(user.id))!);
    } catch (error) {
      if (error instanceof StagingToolInputError) return rerender([error.message]);
      throw error;
    }
    response.redirect(303, '/tool/readings?welcome=1');
  }

  @Get('signin')
  signInPage(@Req() request: Request, @Res() response: Response): void {
    response.render('staging-tool/signin', { title: 'Sign in', csrf: this.sessions.csrfToken(request, response), form: {} });
  }

  @Post('signin')
  async signIn(@Req() request: Request, @Res() response: Response, @Body() body: Record<string, unknown>): Promise<void> {
    if (!this.sessions.csrfValid(request, body?._csrf)) return this.forbidden(response);
    const user = await this.tool.signIn(String(body.email ?? ''), String(body.password ?? ''));
    if (!user) {
      return response.status(400).render('staging-tool/signin', {
        title: 'Sign in',
        csrf: this.sessions.csrfToken(request, response),
        form: { email: body.email },
        errors: ['E-mail address or password is not correct'],
      });
    }
    await this.sessions.start(request, response, user);
    response.redirect(303, '/tool/readings');
  }

  @Post('signout')
  async signOut(@Req() request: Request, @Res() response: Response, @Body() body: Record<string, unknown>): Promise<void> {
    if (!this.sessions.csrfValid(request, body?._csrf)) return this.forbidden(response);
    await this.sessions.end(request, response);
    response.redirect(303, '/tool');
  }

  @Get('readings')
  async readings(@Req() request: Request, @Res() response: Response, @Query() query: Record<string, unknown>): Promise<void> {
    const userId = await this.sessions.userId(request);
    if (!userId) return response.redirect(303, '/tool/signin');
    await this.renderReadings(request, response, userId, { notice: this.notice(query) });
  }

  @Post('readings/generate')
  async generate(@Req() request: Request, @Res() response: Response, @Body() body: Record<string, unknown>): Promise<void> {
    const userId = await this.sessions.userId(request);
    if (!userId) return response.redirect(303, '/tool/signin');
    if (!this.sessions.csrfValid(request, body?._csrf)) return this.forbidden(response);
    // The form's dates are whole days: from the start of `from` to the end of `to`, but never into the future.
    const days = { ...body };
    for (const field of ['from', 'to'] as const) {
      if (typeof days[field] === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(days[field] as string)) days[field] = 'not a date';
    }
    if (typeof days.to === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(days.to)) {
      days.to = new Date(Math.min(Date.parse(days.to) + DAY_MS, Date.now())).toISOString();
    }
    const { value, errors } = await validateForm(GenerateReadingsDto, days);
    if (value.count > PORTAL_MAX_GENERATE)
      errors.push(`count: at most ${PORTAL_MAX_GENERATE} readings at a time here (the admin API takes more)`);
    if (errors.length > 0) return this.renderReadings(request, response, userId, { errors, status: 400, generate: body });
    try {
      const result = await this.tool.generate(userId, value);
      response.redirect(303, `/tool/readings?generated=${result.inserted}&type=${encodeURIComponent(value.type)}`);
    } catch (error) {
      if (!(error instanceof StagingToolInputError)) throw error;
      await this.renderReadings(request, response, userId, { errors: [error.message], status: 400, generate: body });
    }
  }

  @Get('readings/template.xlsx')
  async template(@Res() response: Response): Promise<void> {
    response
      .type(XLSX)
      .set('Content-Disposition', 'attachment; filename="omron-sandbox-readings-template.xlsx"')
      .send(await readingsTemplate());
  }

  @Post('readings/upload')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: 10 * 1024 * 1024, files: 1 } }))
  async upload(
    @Req() request: Request,
    @Res() response: Response,
    @Body() body: Record<string, unknown>,
    @UploadedFile() file: UploadedSpreadsheet | undefined,
  ): Promise<void> {
    const userId = await this.sessions.userId(request);
    if (!userId) return response.redirect(303, '/tool/signin');
    if (!this.sessions.csrfValid(request, body?._csrf)) return this.forbidden(response);
    if (!file || file.size === 0)
      return this.renderReadings(request, response, userId, { errors: ['Choose an .xlsx file to upload'], status: 400 });
    try {
      const result = await this.tool.uploadSpreadsheet(userId, file.buffer);
      response.redirect(303, `/tool/readings?uploaded=${result.inserted}&received=${result.received}`);
    } catch (error) {
      if (!(error instanceof ReadingUploadError)) throw error;
      await this.renderReadings(request, response, userId, { errors: error.problems.slice(0, 50), status: 400 });
    }
  }

  @Post('preferences')
  async preferences(@Req() request: Request, @Res() response: Response, @Body() body: Record<string, unknown>): Promise<void> {
    const userId = await this.sessions.userId(request);
    if (!userId) return response.redirect(303, '/tool/signin');
    if (!this.sessions.csrfValid(request, body?._csrf)) return this.forbidden(response);
    const { value, errors } = await validateForm(PreferencesDto, body);
    if (errors.length > 0) return this.renderReadings(request, response, userId, { errors, status: 400 });
    try {
      await this.tool.updatePreferences(userId, value);
    } catch (error) {
      if (!(error instanceof StagingToolInputError)) throw error;
      return this.renderReadings(request, response, userId, { errors: [error.message], status: 400 });
    }
    response.redirect(303, '/tool/readings?saved=1');
  }

  private notice(query: Record<string, unknown>): string | undefined {
    const number = (value: unknown) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : null);
    const type = typeof query.type === 'string' && (MEASUREMENT_TYPES as readonly string[]).includes(query.type) ? query.type : 'readings';
    if (number(query.generated) !== null) return `Generated and uploaded ${number(query.generated)} ${type} readings.`;
    if (number(query.uploaded) !== null) {
      const skipped = (number(query.received) ?? 0) - number(query.uploaded)!;
      return `Uploaded ${number(query.uploaded)} readings${skipped > 0 ? ` (${skipped} already existed)` : ''}.`;
    }
    if (query.saved === '1') return 'Settings saved.';
    if (query.welcome === '1') return 'Test user created and signed in.';
    return undefined;
  }

  private async renderReadings(
    request: Request,
    response: Response,
    userId: string,
    extra: { notice?: string; errors?: string[]; status?: number; generate?: Record<string, unknown> },
  ): Promise<void> {
    const user = await this.tool.view(userId);
    const today = new Date();
    const choose = (values: readonly string[], current: string) => values.map((value) => ({ value, selected: value === current }));
    response.status(extra.status ?? 200).render('staging-tool/readings', {
      title: 'Staging tool: readings',
      csrf: this.sessions.csrfToken(request, response),
      user,
      counts: MEASUREMENT_TYPES.map((type) => ({ type, count: user.readings[type] ?? 0 })),
      types: MEASUREMENT_TYPES,
      generate: extra.generate ?? { from: isoDay(new Date(today.getTime() - 30 * DAY_MS)), to: isoDay(today), count: 30 },
      options: {
        weightUnit: choose(WEIGHT_UNITS, user.preferences.weightUnit),
        temperatureUnit: choose(TEMPERATURE_UNITS, user.preferences.temperatureUnit),
        distanceUnit: choose(DISTANCE_UNITS, user.preferences.distanceUnit),
      },
      notice: extra.notice,
      errors: extra.errors ?? [],
    });
  }

  private forbidden(response: Response): void {
    response.status(403).render('staging-tool/error', {
      title: 'Form expired',
      heading: 'This form has expired',
      message: 'Reload the page and submit the form again.',
    });
  }
}
