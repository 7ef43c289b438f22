import { Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  Access,
  ADMIN_ROLES,
  AdminAccountsService,
  actorOf,
  noticeKey,
  OnInvalidForm,
  PortalController,
  redirectTo,
  renderPage,
  type PortalRequest,
} from '@opendsp/admin-auth';
import type { FieldErrors } from '@opendsp/i18n';
import { GroupsService } from '@opendsp/groups';
import { AdminsService } from './admins.service.js';
import { InviteAdminForm } from './invite-admin.dto.js';

const PAGE_SIZE = 50;

/** Partner admins invite, disable and re-enable admins. */
@PortalController('admins')
export class AdminsPortalController {
  constructor(
    private readonly accounts: AdminAccountsService,
    private readonly admins: AdminsService,
    private readonly groups: GroupsService,
  ) {}

  @Get()
  @Access('admins.manage')
  async list(@Res() res: Response, @Query('after') after?: string, @Query('notice') notice?: string): Promise<void> {
    const page = await this.accounts.page(typeof after === 'string' ? after.slice(0, 64) : undefined, PAGE_SIZE);
    renderPage(res, 'admins/list', {
      title: 'admins.title',
      admins: page.admins,
      isFirstPage: !after,
      nextLink: page.nextAfter ? `/admins?after=${encodeURIComponent(page.nextAfter)}` : null,
      notice: noticeKey(notice),
    });
  }

  @Get('new')
  @Access('admins.manage')
  async newPage(@Res() res: Response): Promise<void> {
    renderPage(res, 'admins/form', await this.formView({ role: 'viewer', groupIds: [] }));
  }

  @Post()
  @Access('admins.manage')
  @OnInvalidForm('admins/form', (controller: AdminsPortalController, _req, form) => controller.formView(form.values, form.errors))
  async invite(@Req() req: PortalRequest, @Res() res: Response, @Body() form: InviteAdminForm): Promise<void> {
    const outcome = await this.admins.invite(form, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'admins/form', await this.formView(req.body, outcome.errors), 422);
    redirectTo(res, `/admins/${outcome.admin.id}?notice=invited`);
  }

  @Get(':id')
  @Access('admins.manage')
  async details(@Req() req: PortalRequest, @Res() res: Response, @Param('id') id: string, @Query('notice') notice?: string): Promise<void> {
    renderPage(res, 'admins/details', { ...(await this.detailsView(req, id)), notice: noticeKey(notice) });
  }

  @Post(':id/disable')
  @Access('admins.manage')
  disable(@Req() req: PortalRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    return this.setDisabled(req, res, id, true);
  }

  @Post(':id/enable')
  @Access('admins.manage')
  enable(@Req() req: PortalRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    return this.setDisabled(req, res, id, false);
  }

  @Post(':id/setup-link')
  @Access('admins.manage')
  async resendLink(@Req() req: PortalRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    await this.accounts.reissueSetupLink(id, actorOf(req));
    redirectTo(res, `/admins/${id}?notice=link_sent`);
  }

  /** A partner admin turns off another admin's second factor (a lost phone); audited as admin.totp_reset. */
  @Post(':id/totp/reset')
  @Access('admins.manage')
  async resetTotp(@Req() req: PortalRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const outcome = await this.accounts.resetTotp(id, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'admins/details', { ...(await this.detailsView(req, id)), errors: outcome.errors }, 422);
    redirectTo(res, `/admins/${id}?notice=totp_reset`);
  }

  private async setDisabled(req: PortalRequest, res: Response, id: string, disabled: boolean): Promise<void> {
    const outcome = await this.accounts.setDisabled(id, disabled, actorOf(req));
    if (!outcome.ok) return renderPage(res, 'admins/details', { ...(await this.detailsView(req, id)), errors: outcome.errors }, 422);
    redirectTo(res, `/admins/${id}?notice=saved`);
  }

  private async detailsView(req: PortalRequest, id: string): Promise<Record<string, unknown>> {
    const { admin, groups } = await this.admins.details(id);
    return { title: 'admins.details_title', admin, groups, isSelf: admin.id === req.portal.user!.id };
  }

  private async formView(values: unknown, errors?: FieldErrors): Promise<Record<string, unknown>> {
    const submitted = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
    const chosen = ([] as unknown[]).concat(submitted.groupIds ?? []);
    return {
      title: 'admins.invite',
      values: submitted,
      errors,
      roles: ADMIN_ROLES.map((value) => ({ value, checked: submitted.role === value })),
      groups: (await this.groups.activeGroupChoices()).map((group) => ({
        groupId: group.groupId,
        displayName: group.displayName,
        checked: chosen.includes(group.groupId),
      })),
    };
  }
}
