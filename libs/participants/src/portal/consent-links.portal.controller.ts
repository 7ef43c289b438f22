import { GroupVisibleGuard } from '@opendsp/groups';
import { Body, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import {
  Access,
  actorOf,
  OnInvalidForm,
  PortalController,
  redirectTo,
  renderPage,
  type PortalRequest,
  type SubmittedForm,
} from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { translate, type FieldErrors } from '@opendsp/i18n';
import { ConsentInvitations, MAX_INVITATION_RECIPIENTS } from '../consent-links/consent-invitations.service.js';
import { ConsentLinks, type ConsentLinkOutcome } from '../consent-links/consent-links.service.js';
import { consentQrPng, consentQrSvg } from '../consent-links/consent-qr.helpers.js';
import { ConsentLinkQuery } from './dto/consent-link-query.dto.js';
import { InvitationForm } from './dto/participant-forms.dto.js';

const NOTICES = ['invitations_sent'] as const;

/**
 * A group's consent link, ready to send: the URL with optional `custom_params`, a copy button, the QR code
 * (PNG and SVG), and invitation e-mails. Query: `redirect_url` (one of the group's) and `custom_params`.
 */
@PortalController('groups')
@UseGuards(GroupVisibleGuard)
export class ConsentLinksPortalController {
  constructor(
    private readonly links: ConsentLinks,
    private readonly invitations: ConsentInvitations,
    private readonly config: DspConfig,
  ) {}

  @Get(':groupId/consent-link')
  @Access('groups.view')
  async page(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Query() query: ConsentLinkQuery,
  ): Promise<void> {
    const request = this.request(query);
    const outcome = await this.links.resolve(groupId, request);
    const notice = (NOTICES as readonly string[]).includes(query.notice) ? `consent_link.notice_${query.notice}` : undefined;
    const counts = { sent: query.sent, skipped: query.skipped, failed: query.failed };
    renderPage(res, 'participants/consent-link', { ...this.view(req, outcome, request), notice, counts }, outcome.ok ? 200 : 422);
  }

  @Get(':groupId/consent-link/qr.png')
  @Access('groups.view')
  async png(@Res() res: Response, @Param('groupId') groupId: string, @Query() query: ConsentLinkQuery): Promise<void> {
    const outcome = await this.links.resolve(groupId, this.request(query));
    if (!outcome.ok) return this.refuse(res);
    res.type('image/png').setHeader('Content-Disposition', `inline; filename="consent-link-${outcome.group.groupId}.png"`);
    res.send(await consentQrPng(outcome.link.url));
  }

  @Get(':groupId/consent-link/qr.svg')
  @Access('groups.view')
  async svg(@Res() res: Response, @Param('groupId') groupId: string, @Query() query: ConsentLinkQuery): Promise<void> {
    const outcome = await this.links.resolve(groupId, this.request(query));
    if (!outcome.ok) return this.refuse(res);
    res.type('image/svg+xml').setHeader('Content-Disposition', `attachment; filename="consent-link-${outcome.group.groupId}.svg"`);
    res.send(await consentQrSvg(outcome.link.url));
  }

  @Post(':groupId/consent-link/invitations')
  @Access('groups.edit')
  @OnInvalidForm('participants/consent-link', (controller: ConsentLinksPortalController, req, form) =>
    controller.invalidInvitationView(req, form),
  )
  async invite(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Body() values: InvitationForm,
  ): Promise<void> {
    const request = { redirectUrl: values.redirectUrl || undefined, customParams: values.customParams };
    const sent = await this.invitations.send(groupId, request, { recipients: values.recipients, language: values.language }, actorOf(req));
    if (sent.kind === 'link_refused')
      return renderPage(res, 'participants/consent-link', { ...this.view(req, sent.link, request), invitationValues: req.body }, 422);
    if (sent.kind === 'recipients_refused') {
      const [field, key] = Object.entries(sent.errors)[0];
      const errorTexts = { [field]: translate(req.portal.lang, key, sent.errorParams[field]) };
      const view = this.view(req, sent.link, request);
      return renderPage(res, 'participants/consent-link', { ...view, invitationValues: req.body, invitationErrors: errorTexts }, 422);
    }
    const back = new URLSearchParams({
      redirect_url: sent.link.redirectUrl,
      ...(sent.link.customParams ? { custom_params: sent.link.customParams } : {}),
      notice: 'invitations_sent',
      sent: String(sent.sent),
      skipped: String(sent.skipped),
      failed: String(sent.failed),
    });
    redirectTo(res, `/groups/${groupId}/consent-link?${back}#invite`);
  }

  /** An invitation form that failed validation: the page for the group's default link, with the form's errors beside it. */
  private async invalidInvitationView(req: PortalRequest, { values, errors }: SubmittedForm): Promise<Record<string, unknown>> {
    const defaults = new InvitationForm();
    const request = { redirectUrl: defaults.redirectUrl || undefined, customParams: defaults.customParams };
    const outcome = await this.links.resolve(String(req.params.groupId), request);
    return { ...this.view(req, outcome, request, errors), invitationValues: values };
  }

  /** The query's `redirect_url` and `custom_params` as a link request. */
  private request(query: ConsentLinkQuery): { redirectUrl?: string; customParams?: string } {
    return { redirectUrl: query.redirectUrl || undefined, customParams: query.customParams };
  }

  private view(
    req: PortalRequest,
    outcome: ConsentLinkOutcome,
    request: { customParams?: string },
    extraErrors: FieldErrors = {},
  ): Record<string, unknown> {
    const errors = outcome.ok ? {} : outcome.errors;
    const errorTexts = Object.fromEntries(
      Object.entries({ ...errors, ...extraErrors }).map(([field, key]) => [
        field,
        translate(req.portal.lang, key, outcome.ok ? {} : outcome.errorParams[field]),
      ]),
    );
    const link = outcome.ok ? outcome.link : null;
    const query = link
      ? new URLSearchParams({
          redirect_url: link.redirectUrl,
          ...(link.customParams ? { custom_params: link.customParams } : {}),
        }).toString()
      : '';
    return {
      title: 'consent_link.title',
      group: outcome.group,
      link,
      choices: outcome.choices.map((choice) => ({ ...choice, selected: choice.redirectUrl === (link?.redirectUrl ?? '') })),
      errors: errorTexts,
      qrPng: link ? `/groups/${outcome.group.groupId}/consent-link/qr.png?${query}` : null,
      qrSvg: link ? `/groups/${outcome.group.groupId}/consent-link/qr.svg?${query}` : null,
      // What the admin typed stays in the field when it is refused.
      customParams: link ? (link.customParams ?? '') : (request.customParams ?? ''),
      maxRecipients: MAX_INVITATION_RECIPIENTS,
      perHour: this.config.participants.consentInvitationsPerHour,
      languages: ['ja', 'en'].map((code) => ({ code, selected: code === req.portal.lang })),
    };
  }

  /** A QR code for a link that would not work is not drawn. */
  private refuse(res: Response): void {
    res.status(422).type('text/plain').send('This consent link is not valid for the group: check redirect_url and custom_params.\n');
  }
}
