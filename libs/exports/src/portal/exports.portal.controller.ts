import { Body, Get, Logger, NotFoundException, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { Access, actorOf, PortalController, renderPage, type PortalRequest, type PortalUser } from '@opendsp/admin-auth';
import { AuditLog } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { GroupsService, ProgramGroup } from '@opendsp/groups';
import { validateForm, type FieldErrors } from '@opendsp/i18n';
import { MEASUREMENT_KIND_NAMES } from '@opendsp/measurements';
import { startOfDayIn } from '@opendsp/time-zone';
import { CsvExportService, ExportFilterError, type ExportFilterProblem } from '../csv/csv-export.service.js';
import { ExportAbortedError } from '../csv/stream-writes.js';
import { DownloadForm } from '../dto/export-forms.dto.js';

const DAY_MS = 24 * 3_600_000;

const FILTER_ERRORS: Record<ExportFilterProblem, [field: string, key: string]> = {
  unknown_group: ['groupId', 'exports.group_required'],
  unknown_participants: ['participants', 'exports.participants_unknown'],
  too_many_participants: ['participants', 'exports.too_many_participants'],
  bad_range: ['to', 'exports.range_invalid'],
  no_kinds: ['kinds', 'exports.kinds_required'],
};

/** The CSV download page: choose a group, participants, kinds and days; get one CSV file or a zip. */
@PortalController('exports')
export class ExportsPortalController {
  private readonly logger = new Logger(ExportsPortalController.name);

  constructor(
    private readonly em: EntityManager,
    private readonly csv: CsvExportService,
    private readonly groups: GroupsService,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('exports.download')
  async page(@Req() req: PortalRequest, @Res() res: Response): Promise<void> {
    renderPage(
      res,
      'exports/download',
      await this.view(req.portal.user!, { kinds: ['blood_pressure'], bom: this.config.environment.language === 'ja' }),
    );
  }

  @Post('download')
  @Access('exports.download')
  async download(@Req() req: PortalRequest, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const user = req.portal.user!;
    const fail = async (errors: FieldErrors, extra: Record<string, unknown> = {}, status = 422): Promise<void> =>
      renderPage(res, 'exports/download', { ...(await this.view(user, body, errors)), ...extra }, status);
    if (!this.csvEnabled()) return fail({}, {}, 409);
    const form = await validateForm(DownloadForm, body);
    if (!form.ok) return fail(form.errors);
    const { groupId, kinds, participants, bom } = form.value;
    const zone = this.config.environment.timezone;
    const from = form.value.from ? startOfDayIn(form.value.from, zone) : undefined;
    const lastDay = form.value.to ? startOfDayIn(form.value.to, zone) : undefined;
    if (form.value.from && !from) return fail({ from: 'exports.date_invalid' });
    if (form.value.to && !lastDay) return fail({ to: 'exports.date_invalid' });
    // The last day is included: up to the start of the day after it.
    const to = lastDay ? new Date(lastDay.getTime() + DAY_MS) : undefined;
    try {
      await this.groups.visibleGroup(this.em.fork(), user, groupId);
    } catch (error) {
      if (error instanceof NotFoundException) return fail({ groupId: 'exports.group_required' });
      throw error;
    }
    let prepared;
    try {
      prepared = await this.csv.prepare(kinds, { groupId, participants, from, to }, { bom });
    } catch (error) {
      if (!(error instanceof ExportFilterError)) throw error;
      const [field, key] = FILTER_ERRORS[error.problem];
      return fail({ [field]: key }, { unknownParticipants: error.unknown });
    }
    await this.audit.recordNow({
      action: 'export.downloaded',
      actor: actorOf(req),
      target: { type: 'group', id: groupId },
      detail: {
        kinds: prepared.kinds,
        participants: participants.length,
        from: form.value.from || null,
        to: form.value.to || null,
        bom,
        fileName: prepared.fileName,
      },
    });
    res.status(200);
    res.setHeader('Content-Type', prepared.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${prepared.fileName}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await prepared.write(res);
    } catch (error) {
      // Headers are gone: the connection is cut (the browser shows a failed download, never a short file).
      if (!(error instanceof ExportAbortedError)) this.logger.error({ err: error, groupId }, 'CSV download failed while streaming');
    }
  }

  private csvEnabled(): boolean {
    return this.config.environment.dataTransferMethods.includes('csv');
  }

  private async view(user: PortalUser, values: unknown, errors?: FieldErrors): Promise<Record<string, unknown>> {
    const submitted = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
    const chosenKinds = ([] as unknown[]).concat(submitted.kinds ?? []);
    const em = this.em.fork();
    const where = user.role === 'group-admin' ? { id: { $in: await this.groups.groupIdsOf(em, user.id) } } : {};
    const groups = await em.find(ProgramGroup, where, { orderBy: { displayName: 'asc', groupId: 'asc' }, limit: 1000 });
    return {
      title: 'exports.title',
      csvEnabled: this.csvEnabled(),
      values: submitted,
      errors,
      groups: groups.map((group) => ({
        groupId: group.groupId,
        displayName: group.displayName,
        archived: group.archivedAt !== null,
        selected: group.groupId === submitted.groupId,
      })),
      kinds: MEASUREMENT_KIND_NAMES.map((kind) => ({ value: kind, checked: chosenKinds.includes(kind) })),
      bomChecked: submitted.bom === true || submitted.bom === 'on',
    };
  }
}
