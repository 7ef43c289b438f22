import { Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  Access,
  actorOf,
  noticeKey,
  OnInvalidForm,
  PortalController,
  redirectTo,
  renderPage,
  type PortalRequest,
  type SubmittedForm,
} from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import type { FieldErrors } from '@opendsp/i18n';
import { EXPORT_KIND_NAMES } from '@opendsp/measurements';
import { RetrievalKeyForm, SftpDestinationForm } from '../dto/export-forms.dto.js';
import { deliveryFolder } from '../sftp/delivery-layout.rules.js';
import type { SftpDestination } from '../sftp/sftp-destination.entity.js';
import { SftpDestinationsService, type ConnectionTestResult } from '../sftp/sftp-destinations.service.js';
import { SftpRetrievalKeysService } from '../sftp/sftp-retrieval-keys.service.js';

/**
 * Portal pages of SFTP destinations: list, create, edit, delete, test connection, deliver now, delivery history,
 * and a retrieval destination's partner keys (add, revoke).
 */
@PortalController('exports/sftp')
export class SftpDestinationsPortalController {
  constructor(
    private readonly destinations: SftpDestinationsService,
    private readonly retrievalKeys: SftpRetrievalKeysService,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('sftp.manage')
  async list(@Res() res: Response, @Query('notice') notice?: string): Promise<void> {
    const destinations = await this.destinations.list();
    renderPage(res, 'exports/sftp-list', {
      title: 'sftp.title',
      sftpEnabled: this.sftpEnabled(),
      destinations: destinations.map((destination) => ({
        ...this.summary(destination),
        groupCount: destination.groups.length,
      })),
      notice: noticeKey(notice),
    });
  }

  @Get('new')
  @Access('sftp.manage')
  async newPage(@Res() res: Response): Promise<void> {
    renderPage(
      res,
      'exports/sftp-form',
      await this.formView({ mode: 'push', port: '22', remoteBaseDir: '.', schedule: '0 3 * * *', enabled: 'on', authMethod: 'password' }),
    );
  }

  @Post()
  @Access('sftp.manage')
  @OnInvalidForm('exports/sftp-form', (controller: SftpDestinationsPortalController, _req, form) =>
    controller.formView(form.values, form.errors),
  )
  async create(@Req() req: PortalRequest, @Res() res: Response, @Body() form: SftpDestinationForm): Promise<void> {
    const outcome = await this.destinations.create(form, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'exports/sftp-form', await this.formView(req.body, outcome.errors), 422);
    redirectTo(res, `/exports/sftp/${outcome.destination.id}?notice=destination_created`);
  }

  @Get(':destinationId')
  @Access('sftp.manage')
  async details(@Res() res: Response, @Param('destinationId') id: string, @Query('notice') notice?: string): Promise<void> {
    renderPage(res, 'exports/sftp-details', { ...(await this.detailsView(id)), notice: noticeKey(notice) });
  }

  @Get(':destinationId/edit')
  @Access('sftp.manage')
  async editPage(@Res() res: Response, @Param('destinationId') id: string): Promise<void> {
    const destination = await this.destinations.get(id);
    renderPage(
      res,
      'exports/sftp-form',
      await this.formView(
        {
          mode: destination.mode,
          name: destination.name,
          host: destination.host,
          port: String(destination.port),
          username: destination.username,
          authMethod: destination.authMethod,
          remoteBaseDir: destination.remoteBaseDir,
          kinds: destination.kinds,
          schedule: destination.schedule,
          hostKeyFingerprint: destination.hostKeyFingerprint ?? '',
          groupIds: destination.groups.getItems().map((group) => group.groupId),
          enabled: destination.enabled ? 'on' : '',
        },
        undefined,
        destination,
      ),
    );
  }

  @Post(':destinationId')
  @Access('sftp.manage')
  @OnInvalidForm('exports/sftp-form', (controller: SftpDestinationsPortalController, req, form) => controller.editErrorsView(req, form))
  async update(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('destinationId') id: string,
    @Body() form: SftpDestinationForm,
  ): Promise<void> {
    const destination = await this.destinations.get(id);
    const outcome = await this.destinations.update(id, form, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'exports/sftp-form', await this.formView(req.body, outcome.errors, destination), 422);
    redirectTo(res, `/exports/sftp/${id}?notice=saved`);
  }

  @Post(':destinationId/test')
  @Access('sftp.manage')
  async test(@Req() req: PortalRequest, @Res() res: Response, @Param('destinationId') id: string): Promise<void> {
    const result = await this.destinations.testConnection(id, actorOf(req));
    renderPage(res, 'exports/sftp-details', { ...(await this.detailsView(id)), testResult: this.testView(result) });
  }

  @Post(':destinationId/deliver')
  @Access('sftp.manage')
  async deliverNow(@Req() req: PortalRequest, @Res() res: Response, @Param('destinationId') id: string): Promise<void> {
    await this.destinations.requestRun(id, actorOf(req));
    redirectTo(res, `/exports/sftp/${id}?notice=delivery_requested`);
  }

  @Post(':destinationId/delete')
  @Access('sftp.manage')
  async remove(@Req() req: PortalRequest, @Res() res: Response, @Param('destinationId') id: string): Promise<void> {
    await this.destinations.remove(id, actorOf(req));
    redirectTo(res, '/exports/sftp?notice=destination_deleted');
  }

  @Post(':destinationId/keys')
  @Access('sftp.manage')
  @OnInvalidForm('exports/sftp-details', (controller: SftpDestinationsPortalController, req, form) =>
    controller.detailsView(String(req.params.destinationId), { keyValues: { name: form.values.name }, keyErrors: form.errors }),
  )
  async addKey(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('destinationId') id: string,
    @Body() form: RetrievalKeyForm,
  ): Promise<void> {
    const outcome = await this.retrievalKeys.add(id, form, actorOf(req));
    // What was pasted is not shown again: a private key pasted by mistake stays out of the page.
    if (!outcome.ok)
      return renderPage(
        res,
        'exports/sftp-details',
        await this.detailsView(id, { keyValues: { name: form.name }, keyErrors: outcome.errors }),
        422,
      );
    redirectTo(res, `/exports/sftp/${id}?notice=retrieval_key_added#keys`);
  }

  @Post(':destinationId/keys/:keyId/revoke')
  @Access('sftp.manage')
  async revokeKey(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('destinationId') id: string,
    @Param('keyId') keyId: string,
  ): Promise<void> {
    await this.retrievalKeys.revoke(id, keyId, actorOf(req));
    redirectTo(res, `/exports/sftp/${id}?notice=retrieval_key_revoked#keys`);
  }

  @Get(':destinationId/deliveries/:deliveryId')
  @Access('sftp.manage')
  async delivery(@Res() res: Response, @Param('destinationId') id: string, @Param('deliveryId') deliveryId: string): Promise<void> {
    const destination = await this.destinations.get(id);
    const { delivery, files } = await this.destinations.delivery(destination, deliveryId);
    renderPage(res, 'exports/sftp-delivery', {
      title: 'sftp.delivery_title',
      destination,
      delivery,
      files: files.map((file) => ({ ...file, bytes: Number(file.byteCount) })),
      bytes: Number(delivery.byteCount),
    });
  }

  private sftpEnabled(): boolean {
    return this.config.environment.dataTransferMethods.includes('sftp');
  }

  private summary(destination: SftpDestination): Record<string, unknown> {
    return {
      id: destination.id,
      mode: destination.mode,
      name: destination.name,
      host: destination.host,
      port: destination.port,
      username: destination.username,
      kinds: destination.kinds,
      schedule: destination.schedule,
      enabled: destination.enabled,
      nextRunAt: destination.enabled ? destination.nextRunAt : null,
      lastRunAt: destination.lastRunAt,
      lastOutcome: destination.lastOutcome,
      consecutiveFailures: destination.consecutiveFailures,
      runRequested: destination.runRequestedAt !== null,
    };
  }

  private async detailsView(id: string, keyForm: { keyValues?: unknown; keyErrors?: FieldErrors } = {}): Promise<Record<string, unknown>> {
    const destination = await this.destinations.get(id);
    const deliveries = await this.destinations.history(destination);
    const groups = destination.groups.getItems().sort((a, b) => a.displayName.localeCompare(b.displayName));
    const { serverPort, retentionDays } = this.config.exports.retrieval;
    const retrieval =
      destination.mode === 'retrieval'
        ? {
            serverPort,
            host: new URL(this.config.http.publicBaseUrl).hostname,
            retentionDays,
            keys: await this.retrievalKeys.list(destination),
          }
        : null;
    return {
      title: 'sftp.details_title',
      retrieval,
      keyValues: keyForm.keyValues ?? {},
      keyErrors: keyForm.keyErrors,
      sftpEnabled: this.sftpEnabled(),
      destination: {
        ...this.summary(destination),
        authMethod: destination.authMethod,
        hostKeyFingerprint: destination.hostKeyFingerprint,
        remoteBaseDir: destination.remoteBaseDir,
        groups,
        exampleFolder: deliveryFolder(
          this.config.exports.partnerId,
          destination.kinds[0] ?? 'blood_pressure',
          groups[0]?.groupId ?? '{groupId}',
          'YYYYMMDDhhmmss',
        ),
      },
      deliveries: deliveries.map((delivery) => ({ ...delivery, bytes: Number(delivery.byteCount), rows: Number(delivery.rowCount) })),
    };
  }

  /** The edit form again (404 for an unknown destination), with what was typed and each field's error. */
  private async editErrorsView(req: PortalRequest, { values, errors }: SubmittedForm): Promise<Record<string, unknown>> {
    return this.formView(values, errors, await this.destinations.get(String(req.params.destinationId)));
  }

  private testView(result: ConnectionTestResult): Record<string, unknown> {
    return { ...result, problemKey: result.problem ? `sftp.problem.${result.problem}` : null };
  }

  private async formView(values: unknown, errors?: FieldErrors, destination?: SftpDestination): Promise<Record<string, unknown>> {
    const submitted = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
    const chosenGroups = ([] as unknown[]).concat(submitted.groupIds ?? []);
    const chosenKinds = ([] as unknown[]).concat(submitted.kinds ?? []);
    const groups = await this.destinations.groupChoices();
    const authMethod = submitted.authMethod === 'private_key' ? 'private_key' : 'password';
    const mode = submitted.mode === 'retrieval' ? 'retrieval' : 'push';
    return {
      title: destination ? 'sftp.edit_title' : 'sftp.new_title',
      action: destination ? `/exports/sftp/${destination.id}` : '/exports/sftp',
      cancel: destination ? `/exports/sftp/${destination.id}` : '/exports/sftp',
      // Secrets are never sent back to the browser, not even the ones just typed.
      values: { ...submitted, password: '', privateKey: '', passphrase: '' },
      errors,
      timezone: this.config.environment.timezone,
      passwordStored: destination?.authMethod === 'password' && destination.passwordCiphertext !== null,
      privateKeyStored: destination?.authMethod === 'private_key' && destination.privateKeyCiphertext !== null,
      modePush: mode === 'push',
      modeRetrieval: mode === 'retrieval',
      authPassword: authMethod === 'password',
      authPrivateKey: authMethod === 'private_key',
      enabledChecked: submitted.enabled === 'on' || submitted.enabled === true || submitted.enabled === 'true',
      kinds: EXPORT_KIND_NAMES.map((kind) => ({ value: kind, checked: chosenKinds.includes(kind) })),
      groups: groups.map((group) => ({
        groupId: group.groupId,
        displayName: group.displayName,
        archived: group.archivedAt !== null,
        checked: chosenGroups.includes(group.groupId),
      })),
    };
  }
}
