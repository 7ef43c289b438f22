import { Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
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
import { API_SCOPE_NAMES } from '../api-scopes.catalogue.js';
import { ApiClientsService } from './api-clients.service.js';
import { ApiClientForm, OVERLAP_HOURS, RotateSecretForm } from './dto/api-client-forms.dto.js';

const PAGE_SIZE = 50;

/** Portal pages where partner admins create API clients, see them, disable them and rotate their secrets. */
@ApiExcludeController()
@PortalController('api-clients')
export class ApiClientsPortalController {
  constructor(
    private readonly clients: ApiClientsService,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('api_clients.manage')
  async list(@Res() res: Response, @Query('after') after?: string, @Query('notice') notice?: string): Promise<void> {
    const page = await this.clients.page(typeof after === 'string' ? after.slice(0, 80) : undefined, PAGE_SIZE);
    renderPage(res, 'api-clients/list', {
      title: 'api_clients.title',
      clients: page.clients,
      isFirstPage: !after,
      nextLink: page.nextAfter ? `/api-clients?after=${encodeURIComponent(page.nextAfter)}` : null,
      notice: noticeKey(notice),
    });
  }

  @Get('new')
  @Access('api_clients.manage')
  async newPage(@Res() res: Response): Promise<void> {
    renderPage(res, 'api-clients/form', await this.formView({ groupAccess: 'all', scopes: [] }));
  }

  @Post()
  @Access('api_clients.manage')
  @OnInvalidForm('api-clients/form', (controller: ApiClientsPortalController, _req, form) => controller.formView(form.values, form.errors))
  async create(@Req() req: PortalRequest, @Res() res: Response, @Body() form: ApiClientForm): Promise<void> {
    const outcome = await this.clients.create(form, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'api-clients/form', await this.formView(req.body, outcome.errors), 422);
    // The secret is on this page and nowhere else: not in a URL, a redirect or the database.
    renderPage(
      res,
      'api-clients/secret',
      { title: 'api_clients.secret_title', client: outcome.client, secret: outcome.secret, ...this.endpoints() },
      201,
    );
  }

  @Get(':clientId')
  @Access('api_clients.manage')
  async details(@Res() res: Response, @Param('clientId') clientId: string, @Query('notice') notice?: string): Promise<void> {
    renderPage(res, 'api-clients/details', { ...(await this.detailsView(clientId)), notice: noticeKey(notice) });
  }

  @Post(':clientId/disable')
  @Access('api_clients.manage')
  async disable(@Req() req: PortalRequest, @Res() res: Response, @Param('clientId') clientId: string): Promise<void> {
    await this.clients.setDisabled(clientId, true, actorOf(req));
    redirectTo(res, `/api-clients/${clientId}?notice=saved`);
  }

  @Post(':clientId/enable')
  @Access('api_clients.manage')
  async enable(@Req() req: PortalRequest, @Res() res: Response, @Param('clientId') clientId: string): Promise<void> {
    await this.clients.setDisabled(clientId, false, actorOf(req));
    redirectTo(res, `/api-clients/${clientId}?notice=saved`);
  }

  @Post(':clientId/rotate-secret')
  @Access('api_clients.manage')
  @OnInvalidForm('api-clients/details', (controller: ApiClientsPortalController, req, form) => controller.rotateErrorsView(req, form))
  async rotate(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('clientId') clientId: string,
    @Body() form: RotateSecretForm,
  ): Promise<void> {
    const { client, secret } = await this.clients.rotateSecret(clientId, form.overlapHours, actorOf(req));
    renderPage(res, 'api-clients/secret', { title: 'api_clients.secret_title', client, secret, rotated: true, ...this.endpoints() });
  }

  private async rotateErrorsView(req: PortalRequest, { errors }: SubmittedForm): Promise<Record<string, unknown>> {
    return { ...(await this.detailsView(String(req.params.clientId))), errors };
  }

  private async detailsView(clientId: string): Promise<Record<string, unknown>> {
    const view = await this.clients.get(clientId);
    return {
      title: 'api_clients.details_title',
      ...view,
      previousSecretActive: view.client.previousSecretExpiresAt !== null && view.client.previousSecretExpiresAt > new Date(),
      overlaps: OVERLAP_HOURS.map((hours) => ({ hours, selected: hours === 24 })),
      ...this.endpoints(),
    };
  }

  private endpoints(): { tokenUrl: string; docsUrl: string } {
    const base = this.config.http.publicBaseUrl;
    return { tokenUrl: `${base}/api/v1/oauth/token`, docsUrl: `${base}/api/v1/docs` };
  }

  private async formView(values: unknown, errors?: FieldErrors): Promise<Record<string, unknown>> {
    const submitted = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
    const chosenScopes = ([] as unknown[]).concat(submitted.scopes ?? []);
    const chosenGroups = ([] as unknown[]).concat(submitted.groupIds ?? []);
    return {
      title: 'api_clients.new_title',
      values: submitted,
      errors,
      scopes: API_SCOPE_NAMES.map((scope) => ({ scope, checked: chosenScopes.includes(scope) })),
      someGroups: submitted.groupAccess === 'some',
      groups: (await this.clients.groupChoices()).map((group) => ({
        groupId: group.groupId,
        displayName: group.displayName,
        checked: chosenGroups.includes(group.groupId),
      })),
    };
  }
}
