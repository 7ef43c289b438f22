import { Body, Get, Logger, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, actorOf, OnInvalidForm, PortalController, renderPage, type PortalRequest, type PortalUser } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import type { FieldErrors } from '@opendsp/i18n';
import { EXPORT_KIND_NAMES } from '@opendsp/measurements';
import { CsvDownloads } from '../csv/csv-downloads.service.js';
import { sendExport } from '../csv/csv-export.service.js';
import { DownloadForm } from '../dto/export-forms.dto.js';

/** The CSV download page: choose a group, participants, kinds and days; get one CSV file or a zip. */
@PortalController('exports')
export class ExportsPortalController {
  private readonly logger = new Logger(ExportsPortalController.name);

  constructor(
    private readonly downloads: CsvDownloads,
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
  @OnInvalidForm('exports/download', (controller: ExportsPortalController, req, form) =>
    controller.view(req.portal.user!, form.values, form.errors),
  )
  async download(@Req() req: PortalRequest, @Res() res: Response, @Body() form: DownloadForm): Promise<void> {
    const user = req.portal.user!;
    if (!this.csvEnabled()) return renderPage(res, 'exports/download', await this.view(user, req.body, {}), 409);
    const outcome = await this.downloads.prepare(user, form, actorOf(req));
    if (!outcome.ok) {
      const { errors, unknownParticipants } = outcome;
      return renderPage(res, 'exports/download', { ...(await this.view(user, req.body, errors)), unknownParticipants }, 422);
    }
    await sendExport(res, outcome.download, (error) =>
      this.logger.error({ err: error, groupId: form.groupId }, 'CSV download failed while streaming'),
    );
  }

  private csvEnabled(): boolean {
    return this.config.environment.dataTransferMethods.includes('csv');
  }

  private async view(user: PortalUser, values: unknown, errors?: FieldErrors): Promise<Record<string, unknown>> {
    const submitted = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
    const chosenKinds = ([] as unknown[]).concat(submitted.kinds ?? []);
    const groups = await this.downloads.groupChoices(user);
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
      kinds: EXPORT_KIND_NAMES.map((kind) => ({ value: kind, checked: chosenKinds.includes(kind) })),
      bomChecked: submitted.bom === true || submitted.bom === 'on',
    };
  }
}
