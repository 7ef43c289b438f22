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
import type { FieldErrors } from '@opendsp/i18n';
import { WebhookEndpointForm } from '../dto/webhook-endpoint-forms.dto.js';
import type { WebhookEndpoint } from '../webhook-endpoint.entity.js';
import { WebhookEndpoints } from '../webhook-endpoints.service.js';
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.catalogue.js';

/**
 * Portal pages of webhook endpoints: list (with alerts), add, secret shown once, edit, delete, rotate, switch off
 * and on, delivery log, replay.
 */
@PortalController('webhooks')
export class WebhooksPortalController {
  constructor(private readonly endpoints: WebhookEndpoints) {}

  @Get()
  @Access('webhooks.manage')
  async list(@Res() res: Response, @Query('notice') notice?: string): Promise<void> {
    const endpoints = await this.endpoints.list();
    renderPage(res, 'webhooks/list', {
      title: 'webhooks.title',
      endpoints: endpoints.map((endpoint) => this.summary(endpoint)),
      failing: endpoints.filter((endpoint) => endpoint.disabledReason === 'failing').map((endpoint) => this.summary(endpoint)),
      notice: noticeKey(notice),
    });
  }

  @Get('new')
  @Access('webhooks.manage')
  async newPage(@Res() res: Response): Promise<void> {
    renderPage(res, 'webhooks/form', await this.formView({ eventTypes: [...WEBHOOK_EVENT_TYPES] }));
  }

  @Post()
  @Access('webhooks.manage')
  @OnInvalidForm('webhooks/form', (controller: WebhooksPortalController, _req, form) => controller.formView(form.values, form.errors))
  async create(@Req() req: PortalRequest, @Res() res: Response, @Body() form: WebhookEndpointForm): Promise<void> {
    const created = await this.endpoints.create(form, actorOf(req));
    if (!created.ok) return renderPage(res, 'webhooks/form', await this.formView(req.body, created.errors), 422);
    this.secretPage(res, created.endpoint, created.secret, false);
  }

  @Get(':endpointId')
  @Access('webhooks.manage')
  async details(@Res() res: Response, @Param('endpointId') id: string, @Query('notice') notice?: string): Promise<void> {
    const endpoint = await this.endpoints.get(id);
    const [groups, deliveries] = await Promise.all([this.endpoints.groupsOf(endpoint), this.endpoints.deliveries(endpoint.id)]);
    renderPage(res, 'webhooks/details', {
      title: 'webhooks.details_title',
      endpoint: { ...this.summary(endpoint), groups },
      deliveries: deliveries.map((delivery) => ({
        id: delivery.id,
        eventType: delivery.eventType,
        status: delivery.status,
        attempts: delivery.attempts,
        createdAt: delivery.createdAt,
        lastAttemptAt: delivery.lastAttemptAt,
        nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt : null,
        lastStatusCode: delivery.lastStatusCode,
        lastError: delivery.lastError,
      })),
      notice: noticeKey(notice),
    });
  }

  @Get(':endpointId/edit')
  @Access('webhooks.manage')
  async editPage(@Res() res: Response, @Param('endpointId') id: string): Promise<void> {
    const endpoint = await this.endpoints.get(id);
    const groups = await this.endpoints.groupsOf(endpoint);
    const values = {
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
      groupIds: groups.map((group) => group.groupId),
    };
    renderPage(res, 'webhooks/form', await this.formView(values, undefined, endpoint));
  }

  @Post(':endpointId')
  @Access('webhooks.manage')
  @OnInvalidForm('webhooks/form', (controller: WebhooksPortalController, req, form) => controller.editErrorsView(req, form))
  async update(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('endpointId') id: string,
    @Body() form: WebhookEndpointForm,
  ): Promise<void> {
    const updated = await this.endpoints.update(id, form, actorOf(req));
    if (!updated.ok)
      return renderPage(res, 'webhooks/form', await this.formView(req.body, updated.errors, await this.endpoints.get(id)), 422);
    redirectTo(res, `/webhooks/${id}?notice=saved`);
  }

  @Get(':endpointId/delete')
  @Access('webhooks.manage')
  async deletePage(@Res() res: Response, @Param('endpointId') id: string): Promise<void> {
    const endpoint = await this.endpoints.get(id);
    const log = await this.endpoints.logSize(endpoint.id);
    renderPage(res, 'webhooks/delete', { title: 'webhooks.delete_title', endpoint: this.summary(endpoint), log });
  }

  @Post(':endpointId/delete')
  @Access('webhooks.manage')
  async remove(@Req() req: PortalRequest, @Res() res: Response, @Param('endpointId') id: string): Promise<void> {
    await this.endpoints.remove(id, actorOf(req));
    redirectTo(res, '/webhooks?notice=endpoint_deleted');
  }

  @Post(':endpointId/rotate')
  @Access('webhooks.manage')
  async rotate(@Req() req: PortalRequest, @Res() res: Response, @Param('endpointId') id: string): Promise<void> {
    const { endpoint, secret } = await this.endpoints.rotate(id, actorOf(req));
    this.secretPage(res, endpoint, secret, true);
  }

  @Post(':endpointId/disable')
  @Access('webhooks.manage')
  async disable(@Req() req: PortalRequest, @Res() res: Response, @Param('endpointId') id: string): Promise<void> {
    await this.endpoints.setEnabled(id, false, actorOf(req));
    redirectTo(res, `/webhooks/${id}?notice=endpoint_disabled`);
  }

  @Post(':endpointId/enable')
  @Access('webhooks.manage')
  async enable(@Req() req: PortalRequest, @Res() res: Response, @Param('endpointId') id: string): Promise<void> {
    await this.endpoints.setEnabled(id, true, actorOf(req));
    redirectTo(res, `/webhooks/${id}?notice=endpoint_enabled`);
  }

  @Post(':endpointId/deliveries/:deliveryId/replay')
  @Access('webhooks.manage')
  async replay(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('endpointId') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<void> {
    await this.endpoints.replay(id, deliveryId, actorOf(req));
    redirectTo(res, `/webhooks/${id}?notice=delivery_replayed`);
  }

  /** The secret, this once: answered to the POST itself (never in a URL), and never cached. */
  private secretPage(res: Response, endpoint: WebhookEndpoint, secret: string, rotated: boolean): void {
    res.setHeader('cache-control', 'no-store');
    renderPage(res, 'webhooks/secret', { title: 'webhooks.secret_title', endpoint: this.summary(endpoint), secret, rotated });
  }

  private summary(endpoint: WebhookEndpoint): Record<string, unknown> {
    return {
      id: endpoint.id,
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
      groupCount: endpoint.groupIds.length,
      enabled: endpoint.enabled,
      disabledReason: endpoint.disabledReason,
      disabledAt: endpoint.disabledAt,
      previousSecretUntil: endpoint.previousSecretUntil && endpoint.previousSecretUntil > new Date() ? endpoint.previousSecretUntil : null,
      createdAt: endpoint.createdAt,
    };
  }

  /** The edit form again (404 for an unknown endpoint), with what was typed and each field's error. */
  async editErrorsView(req: PortalRequest, { values, errors }: SubmittedForm): Promise<Record<string, unknown>> {
    return this.formView(values, errors, await this.endpoints.get(String(req.params.endpointId)));
  }

  /** The form for a new endpoint, or for editing `endpoint`. */
  async formView(values: unknown, errors?: FieldErrors, endpoint?: WebhookEndpoint): Promise<Record<string, unknown>> {
    const submitted = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
    const chosenTypes = ([] as unknown[]).concat(submitted.eventTypes ?? []);
    const chosenGroups = ([] as unknown[]).concat(submitted.groupIds ?? []);
    const groups = await this.endpoints.groupChoices(endpoint);
    return {
      title: endpoint ? 'webhooks.edit_title' : 'webhooks.new_title',
      action: endpoint ? `/webhooks/${endpoint.id}` : '/webhooks',
      cancel: endpoint ? `/webhooks/${endpoint.id}` : '/webhooks',
      submit: endpoint ? 'form.save' : 'webhooks.create',
      values: {
        url: typeof submitted.url === 'string' ? submitted.url : '',
        description: typeof submitted.description === 'string' ? submitted.description : '',
      },
      errors,
      eventTypes: WEBHOOK_EVENT_TYPES.map((type) => ({ value: type, checked: chosenTypes.includes(type) })),
      groups: groups.map((group) => ({
        groupId: group.groupId,
        displayName: group.displayName,
        checked: chosenGroups.includes(group.groupId),
      })),
    };
  }
}
