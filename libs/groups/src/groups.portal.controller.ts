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
import { GroupForm, RedirectUrlForm } from './dto/group-forms.dto.js';
import { GroupPagePanels } from './group-page-panels.service.js';
import { GroupsService, platformResultUrl, type GroupStatus } from './groups.service.js';

/** OMRON's data types in the consent screen's order; temperature and oxygen are offered in Europe only (Partner API spec). */
const DATA_TYPES = ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen'] as const;

function regionDataTypes(config: DspConfig): string[] {
  return DATA_TYPES.filter((type) => config.environment.region.id === 'europe' || (type !== 'temperature' && type !== 'oxygen'));
}

/** The group form's data type checkboxes: the region's types, ticked when chosen (all, when the group chose none). */
function dataTypeOptions(config: DspConfig, chosen: unknown): { value: string; checked: boolean }[] {
  const list = Array.isArray(chosen) ? chosen.map(String) : typeof chosen === 'string' ? [chosen] : null;
  return regionDataTypes(config).map((value) => ({ value, checked: list === null || list.includes(value) }));
}

const PAGE_SIZE = 50;
const STATUSES: GroupStatus[] = ['active', 'archived', 'all'];

/** Portal pages of groups: list, create, details with redirect URLs, edit, archive. */
@PortalController('groups')
export class GroupsPortalController {
  constructor(
    private readonly groups: GroupsService,
    private readonly panels: GroupPagePanels,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('groups.view')
  async list(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Query('status') status?: string,
    @Query('after') after?: string,
    @Query('notice') notice?: string,
  ): Promise<void> {
    const chosen = STATUSES.includes(status as GroupStatus) ? (status as GroupStatus) : 'active';
    const page = await this.groups.page(req.portal.user!, { status: chosen, after, limit: PAGE_SIZE });
    renderPage(res, 'groups/list', {
      title: 'groups.title',
      groups: page.groups,
      status: chosen,
      statuses: STATUSES.map((value) => ({ value, selected: value === chosen })),
      nextLink: page.nextAfter ? `/groups?status=${chosen}&after=${encodeURIComponent(page.nextAfter)}` : null,
      isFirstPage: !after,
      notice: noticeKey(notice),
    });
  }

  @Get('new')
  @Access('groups.create')
  newPage(@Res() res: Response): void {
    renderPage(res, 'groups/form', {
      title: 'groups.new_title',
      action: '/groups',
      values: {},
      dataTypes: dataTypeOptions(this.config, null),
    });
  }

  @Post()
  @Access('groups.create')
  @OnInvalidForm('groups/form', (controller: GroupsPortalController, _req, form) => controller.newFormView(form))
  async create(@Req() req: PortalRequest, @Res() res: Response, @Body() form: GroupForm): Promise<void> {
    const group = await this.groups.create(form, actorOf(req));
    redirectTo(res, `/groups/${group.groupId}?notice=group_created`);
  }

  @Get(':groupId')
  @Access('groups.view')
  async details(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Query('notice') notice?: string,
  ): Promise<void> {
    renderPage(res, 'groups/details', { ...(await this.detailsView(req, groupId)), notice: noticeKey(notice) });
  }

  @Get(':groupId/edit')
  @Access('groups.edit')
  async editPage(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string): Promise<void> {
    const { group } = await this.groups.details(req.portal.user!, groupId);
    const values = { displayName: group.displayName, description: group.description, backLinkOrigins: group.backLinkOrigins.join('\n') };
    renderPage(res, 'groups/form', {
      title: 'groups.edit_title',
      action: `/groups/${group.groupId}`,
      group,
      values,
      dataTypes: dataTypeOptions(this.config, group.dataTypes),
    });
  }

  @Post(':groupId')
  @Access('groups.edit')
  @OnInvalidForm('groups/form', (controller: GroupsPortalController, req, form) => controller.editFormView(req, form))
  async update(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string, @Body() form: GroupForm): Promise<void> {
    const group = await this.groups.update(req.portal.user!, groupId, form, actorOf(req));
    redirectTo(res, `/groups/${group.groupId}?notice=saved`);
  }

  @Post(':groupId/archive')
  @Access('groups.archive')
  async archive(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string): Promise<void> {
    await this.groups.setArchived(req.portal.user!, groupId, true, actorOf(req));
    redirectTo(res, `/groups/${groupId}?notice=group_archived`);
  }

  @Post(':groupId/restore')
  @Access('groups.archive')
  async restore(@Req() req: PortalRequest, @Res() res: Response, @Param('groupId') groupId: string): Promise<void> {
    await this.groups.setArchived(req.portal.user!, groupId, false, actorOf(req));
    redirectTo(res, `/groups/${groupId}?notice=group_restored`);
  }

  @Post(':groupId/redirect-urls')
  @Access('groups.edit')
  @OnInvalidForm('groups/details', (controller: GroupsPortalController, req, form) => controller.redirectUrlErrorsView(req, form))
  async addUrl(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Body() form: RedirectUrlForm,
  ): Promise<void> {
    const outcome = await this.groups.addRedirectUrl(req.portal.user!, groupId, form.url, form.makeDefault, actorOf(req));
    if (!outcome.ok) {
      return renderPage(
        res,
        'groups/details',
        await this.redirectUrlErrorsView(req, { values: req.body as Record<string, unknown>, errors: outcome.errors }),
        422,
      );
    }
    redirectTo(res, `/groups/${groupId}?notice=url_added`);
  }

  @Post(':groupId/redirect-urls/:urlId/default')
  @Access('groups.edit')
  async setDefault(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Param('urlId') urlId: string,
  ): Promise<void> {
    await this.groups.setDefaultRedirectUrl(req.portal.user!, groupId, urlId, actorOf(req));
    redirectTo(res, `/groups/${groupId}?notice=url_default`);
  }

  @Post(':groupId/redirect-urls/:urlId/delete')
  @Access('groups.edit')
  async removeUrl(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Param('urlId') urlId: string,
  ): Promise<void> {
    await this.groups.removeRedirectUrl(req.portal.user!, groupId, urlId, actorOf(req));
    redirectTo(res, `/groups/${groupId}?notice=url_removed`);
  }

  /** The new-group form again, with what was typed and each field's error. */
  private newFormView({ values, errors }: SubmittedForm): Record<string, unknown> {
    return {
      title: 'groups.new_title',
      action: '/groups',
      values,
      errors,
      dataTypes: dataTypeOptions(this.config, values.dataTypes ?? []),
    };
  }

  /** The edit form again, with what was typed and each field's error. */
  private async editFormView(req: PortalRequest, { values, errors }: SubmittedForm): Promise<Record<string, unknown>> {
    const { group } = await this.groups.details(req.portal.user!, String(req.params.groupId));
    return {
      title: 'groups.edit_title',
      action: `/groups/${group.groupId}`,
      group,
      values,
      errors,
      dataTypes: dataTypeOptions(this.config, values.dataTypes ?? []),
    };
  }

  /** The group page again, its redirect URL form showing what was typed and the error. */
  private async redirectUrlErrorsView(req: PortalRequest, { values, errors }: SubmittedForm): Promise<Record<string, unknown>> {
    return { ...(await this.detailsView(req, String(req.params.groupId))), urlValues: values, urlErrors: errors };
  }

  private async detailsView(req: PortalRequest, groupId: string): Promise<Record<string, unknown>> {
    const { group, urls, admins } = await this.groups.details(req.portal.user!, groupId);
    return {
      title: 'groups.details_title',
      group,
      urls,
      admins,
      platformResultUrl: platformResultUrl(this.config),
      httpLocalAllowed: this.config.nodeEnv === 'development',
      panels: await this.panels.load(group),
    };
  }
}
