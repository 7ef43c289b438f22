import { Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, PortalController, renderPage } from '@opendsp/admin-auth';
import { AUDIT_ACTIONS, AuditLog } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { addDays, parseDay, zonedDayStart } from '@opendsp/time-zone';

const PAGE_SIZE = 50;
/** The audit log page: filter by action, login ID and day (in the environment's time zone), newest first. */
@PortalController('audit')
export class AuditPortalController {
  constructor(
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
  ) {}

  @Get()
  @Access('audit.view')
  async list(
    @Res() res: Response,
    @Query('action') action?: string,
    @Query('actor') actor?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('before') before?: string,
  ): Promise<void> {
    const tz = this.config.environment.timezone;
    const filters = {
      action: (AUDIT_ACTIONS as readonly string[]).includes(action ?? '') ? action : undefined,
      actor: typeof actor === 'string' && actor.trim() ? actor.trim().slice(0, 200) : undefined,
      from: typeof from === 'string' && parseDay(from) ? from : undefined,
      to: typeof to === 'string' && parseDay(to) ? to : undefined,
    };
    const page = await this.audit.page({
      action: filters.action,
      actorLogin: filters.actor,
      from: filters.from ? zonedDayStart(filters.from, tz) : undefined,
      // "to" is inclusive: up to the start of the next day (23 or 25 hours later on a daylight saving change).
      to: filters.to ? zonedDayStart(addDays(filters.to, 1), tz) : undefined,
      before: typeof before === 'string' && /^\d{1,19}$/.test(before) ? before : undefined,
      limit: PAGE_SIZE,
    });
    const query = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => Boolean(entry[1])));
    const next = new URLSearchParams(query);
    if (page.nextBefore) next.set('before', page.nextBefore);
    renderPage(res, 'audit/list', {
      title: 'audit.title',
      events: page.events.map((event) => ({ ...event, utc: event.occurredAt.toISOString(), detailText: JSON.stringify(event.detail) })),
      actions: AUDIT_ACTIONS.map((value) => ({ value, selected: value === filters.action })),
      filters,
      isFirstPage: !before,
      firstLink: `/audit?${query.toString()}`,
      nextLink: page.nextBefore ? `/audit?${next.toString()}` : null,
    });
  }
}
