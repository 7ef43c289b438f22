import { GroupVisibleGuard } from '@opendsp/groups';
import { Body, Get, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { Access, actorOf, OnInvalidForm, PortalController, redirectTo, renderPage, type PortalRequest } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { csvText, escapeFormula, UTF8_BOM } from '@opendsp/csv';
import { translate } from '@opendsp/i18n';
import { ConsentLinks } from '../consent-links/consent-links.service.js';
import { FUNNEL_STAGES, GROUP_CONNECTION_STATES, type FunnelStage } from '../directory/enrollment-funnel.rules.js';
import { ParticipantDirectory } from '../directory/participant-directory.service.js';
import { InternalCustomerIds } from '../directory/internal-customer-ids.service.js';
import { CredentialSheets, type OpenedSheet } from '../provisioning/credential-sheets.service.js';
import { ParticipantProvisioning, type ProvisionOutcome } from '../provisioning/participant-provisioning.service.js';
import {
  MAX_PROVISION_CSV_BYTES,
  MAX_PROVISION_ROWS,
  parseProvisioningCsv,
  PROVISIONING_CSV_COLUMN,
  type LineProblem,
} from '../provisioning/provisioning-csv.parser.js';
import type { CsvUploadRequest } from './csv-upload.middleware.js';
import { CustomerIdForm, MAX_FORM_ACCOUNTS, ProvisionForm } from './dto/participant-forms.dto.js';
import { WithdrawalService } from '../withdrawal.service.js';

const PAGE_SIZE = 50;
const PARTICIPANT_NOTICES = ['customer_id_saved', 'customer_id_unchanged', 'withdrawn'] as const;

/**
 * Portal pages of a group's participants: the list and details for admins, pre-created accounts (one by one
 * or from a CSV file) with their one-time credential sheet, internal customer IDs, and the enrollment funnel.
 */
@PortalController('groups')
@UseGuards(GroupVisibleGuard)
export class ParticipantsPortalController {
  constructor(
    private readonly directory: ParticipantDirectory,
    private readonly provisioning: ParticipantProvisioning,
    private readonly sheets: CredentialSheets,
    private readonly customerIds: InternalCustomerIds,
    private readonly consentLinks: ConsentLinks,
    private readonly config: DspConfig,
    private readonly withdrawals: WithdrawalService,
  ) {}

  @Get(':groupId/participants')
  @Access('groups.view')
  async list(
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Query('stage') stage?: string,
    @Query('q') search?: string,
    @Query('after') after?: string,
  ): Promise<void> {
    const chosen = (FUNNEL_STAGES as readonly string[]).includes(stage ?? '') ? (stage as FunnelStage) : undefined;
    const query = typeof search === 'string' ? search.trim().slice(0, 200) : '';
    const page = await this.directory.page(groupId, { stage: chosen, search: query || undefined, after, limit: PAGE_SIZE });
    const filterQuery = new URLSearchParams({ ...(chosen ? { stage: chosen } : {}), ...(query ? { q: query } : {}) });
    renderPage(res, 'participants/list', {
      title: 'participants.title',
      group: page.group,
      participants: page.rows,
      stages: FUNNEL_STAGES.map((value) => ({ value, selected: value === chosen })),
      search: query,
      firstLink: `/groups/${groupId}/participants?${filterQuery}`,
      nextLink: page.nextAfter
        ? `/groups/${groupId}/participants?${new URLSearchParams([...filterQuery, ['after', page.nextAfter]])}`
        : null,
      isFirstPage: !after,
    });
  }

  @Get(':groupId/participants/new')
  @Access('groups.edit')
  async newPage(@Res() res: Response, @Param('groupId') groupId: string): Promise<void> {
    renderPage(res, 'participants/new', await this.newView(groupId, {}));
  }

  /** One participant (with an optional customer ID) or several without, from the form. */
  @Post(':groupId/participants')
  @Access('groups.edit')
  @OnInvalidForm('participants/new', (controller: ParticipantsPortalController, req, form) =>
    controller.newView(String(req.params.groupId), { values: form.values, errors: form.errors }),
  )
  async provisionFromForm(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Body() form: ProvisionForm,
  ): Promise<void> {
    const { internalCustomerId, count } = form;
    if (internalCustomerId && count !== 1) {
      return renderPage(
        res,
        'participants/new',
        await this.newView(groupId, { values: req.body, errors: { count: 'participants.count_with_customer_id' } }),
        422,
      );
    }
    const rows = Array.from({ length: count }, (_, index) => ({ line: index + 1, internalCustomerId: internalCustomerId || null }));
    const outcome = await this.provisioning.provision(groupId, rows, actorOf(req), { source: 'form', sheetFor: req.portal.user!.id });
    return this.answer(req, res, groupId, outcome, { values: req.body, single: true });
  }

  /** A CSV file of participants: all of them, or none and every problem by line. */
  @Post(':groupId/participants/import')
  @Access('groups.edit')
  async provisionFromCsv(
    @Req() req: PortalRequest & CsvUploadRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
  ): Promise<void> {
    const upload = req.csvUpload ?? { problem: 'missing' as const };
    if (upload.text === undefined) {
      const message = {
        missing: 'participants.csv_missing',
        too_large: 'participants.csv_too_large',
        not_utf8: 'participants.csv_not_utf8',
      }[upload.problem ?? 'missing'];
      return this.answer(req, res, groupId, {
        ok: false,
        problems: [{ line: null, message, params: { kb: MAX_PROVISION_CSV_BYTES / 1024 } }],
      });
    }
    const parsed = parseProvisioningCsv(upload.text);
    if (!parsed.ok) return this.answer(req, res, groupId, { ok: false, problems: parsed.problems });
    const outcome = await this.provisioning.provision(groupId, parsed.rows, actorOf(req), { source: 'csv', sheetFor: req.portal.user!.id });
    return this.answer(req, res, groupId, outcome);
  }

  /** The credentials of the last provisioning run, once: this page deletes them as it shows them. */
  @Get(':groupId/credential-sheet')
  @Access('groups.edit')
  async credentialSheet(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Query('sheet') sheetId?: string,
  ): Promise<void> {
    if (typeof sheetId !== 'string' || !sheetId) return redirectTo(res, `/groups/${groupId}/participants`);
    const group = await this.directory.group(groupId);
    const sheet = await this.sheets.open(group, sheetId, { ...actorOf(req), adminId: req.portal.user!.id });
    if (!sheet) return renderPage(res, 'participants/credential-sheet-gone', { title: 'participants.sheet_gone_title', group }, 410);
    const [signInLink] = await this.consentLinks.forGroup(group);
    renderPage(res, 'participants/credential-sheet', {
      title: 'participants.sheet_title',
      group,
      sheet,
      signInUrl: signInLink.url,
      csvDataUrl: `data:text/csv;charset=utf-8;base64,${credentialCsv(sheet, signInLink.url).toString('base64')}`,
      csvFileName: `credentials-${group.groupId}-${new Date().toISOString().slice(0, 10)}.csv`,
    });
  }

  @Get(':groupId/funnel')
  @Access('groups.view')
  async funnel(@Res() res: Response, @Param('groupId') groupId: string): Promise<void> {
    const { group, funnel } = await this.directory.funnel(groupId);
    renderPage(res, 'participants/funnel', {
      title: 'funnel.title',
      group,
      funnel,
      // "Reached" counts everyone who got at least this far; stale and withdrawn are states, not steps.
      stages: [
        { stage: 'invited', reached: funnel.reached.invited },
        { stage: 'link_opened', reached: funnel.reached.link_opened },
        { stage: 'consented', reached: funnel.reached.consented },
        { stage: 'receiving', reached: funnel.reached.first_reading },
        { stage: 'stale', reached: null },
        { stage: 'withdrawn', reached: null },
      ].map((row) => ({ ...row, current: funnel.current[row.stage as FunnelStage] })),
      connections: GROUP_CONNECTION_STATES.map((state) => ({ state, count: funnel.connections[state] })),
    });
  }

  @Get(':groupId/participants/:ogscId')
  @Access('groups.view')
  async details(
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Param('ogscId') ogscId: string,
    @Query('notice') notice?: string,
  ): Promise<void> {
    renderPage(res, 'participants/details', {
      ...(await this.detailsView(groupId, ogscId)),
      notice: (PARTICIPANT_NOTICES as readonly string[]).includes(notice ?? '') ? `participants.notice_${notice}` : undefined,
    });
  }

  @Post(':groupId/participants/:ogscId/internal-customer-id')
  @Access('groups.edit')
  async setCustomerId(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Param('ogscId') ogscId: string,
    @Body() form: CustomerIdForm,
  ): Promise<void> {
    const outcome = await this.customerIds.set(groupId, ogscId, form.internalCustomerId, actorOf(req));
    if (!outcome.ok) {
      return renderPage(
        res,
        'participants/details',
        { ...(await this.detailsView(groupId, ogscId)), values: req.body, errors: outcome.errors },
        422,
      );
    }
    redirectTo(res, `/groups/${groupId}/participants/${ogscId}?notice=${outcome.changed ? 'customer_id_saved' : 'customer_id_unchanged'}`);
  }

  /** A new generated password for a pre-created participant, shown once on a credential sheet. */
  @Post(':groupId/participants/:ogscId/credentials')
  @Access('groups.edit')
  async resetCredentials(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Param('ogscId') ogscId: string,
  ): Promise<void> {
    const { sheetId } = await this.provisioning.resetCredentials(groupId, ogscId, actorOf(req), {
      sheetFor: req.portal.user!.id,
      actorRole: req.portal.user!.role,
    });
    redirectTo(res, `/groups/${groupId}/credential-sheet?sheet=${sheetId}`);
  }

  /** An admin ends the participant's consent for this group (the same withdrawal as the participant's own). */
  @Post(':groupId/participants/:ogscId/withdraw')
  @Access('groups.edit')
  async withdraw(
    @Req() req: PortalRequest,
    @Res() res: Response,
    @Param('groupId') groupId: string,
    @Param('ogscId') ogscId: string,
  ): Promise<void> {
    const user = req.portal.user!;
    await this.withdrawals.withdrawFromGroup(groupId, ogscId, { kind: 'admin', adminId: user.id, login: user.loginId, ip: req.portal.ip });
    redirectTo(res, `/groups/${groupId}/participants/${ogscId}?notice=withdrawn`);
  }

  private async detailsView(groupId: string, ogscId: string): Promise<Record<string, unknown>> {
    const { group, participant } = await this.directory.details(groupId, ogscId);
    return { title: 'participants.details_title', group, participant, values: participant };
  }

  private async newView(groupId: string, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
    const group = await this.directory.group(groupId);
    return {
      title: 'participants.new_title',
      group,
      values: { count: 1 },
      column: PROVISIONING_CSV_COLUMN,
      maxRows: MAX_PROVISION_ROWS,
      maxKb: MAX_PROVISION_CSV_BYTES / 1024,
      maxFormAccounts: MAX_FORM_ACCOUNTS,
      expireDays: this.config.participants.precreatedCredentialsExpireDays,
      ...extra,
    };
  }

  /** Success: on to the one-time credential sheet. Problems: the page again, each problem with its line. */
  private async answer(
    req: PortalRequest,
    res: Response,
    groupId: string,
    outcome: ProvisionOutcome,
    form: { values?: unknown; single?: boolean } = {},
  ): Promise<void> {
    if (outcome.ok) return redirectTo(res, `/groups/${groupId}/credential-sheet?sheet=${outcome.sheetId}`);
    const problems = outcome.problems.map((problem: LineProblem) => ({
      line: problem.line,
      text: translate(req.portal.lang, problem.message, problem.params),
    }));
    renderPage(
      res,
      'participants/new',
      await this.newView(groupId, form.single ? { values: form.values, formProblems: problems } : { csvProblems: problems }),
      422,
    );
  }
}

/** The credential sheet as CSV (UTF-8 with BOM, so spreadsheet programs read Japanese text correctly). */
function credentialCsv(sheet: OpenedSheet, signInUrl: string): Buffer {
  const rows = sheet.credentials.map((credential) => [
    credential.ogscId,
    credential.loginId,
    credential.password,
    escapeFormula(credential.internalCustomerId ?? ''),
    sheet.credentialsExpireAt,
    signInUrl,
  ]);
  const text = csvText([['ogsc_id', 'login_id', 'password', 'internal_customer_id', 'credentials_expire_at', 'sign_in_url'], ...rows]);
  return Buffer.from(UTF8_BOM + text, 'utf8');
}
