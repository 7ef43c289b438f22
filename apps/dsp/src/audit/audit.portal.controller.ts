import { Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Access, PortalController, renderPage } from '@opendsp/admin-auth';
import { AUDIT_ACTIONS, AuditLog } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';

const PAGE_SIZE = 50;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The start of a calendar day in the environment's time zone, as an instant. */
export function startOfDayIn(date: string, timeZone: string): Date | undefined {
  if (!DATE.test(date)) return undefined;
  const utcMidnight = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(utcMidnight.getTime())) return undefined;
  // The zone's offset at that moment (e.g. +09:00 for Asia/Tokyo), read back from Intl.
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(utcMidnight);
  const offset = /GMT([+-])(\d{2}):(\d{2})/.exec(parts.find((part) => part.type === 'timeZoneName')?.value ?? '');
  const minutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  return new Date(utcMidnight.getTime() - minutes * 60_000);
}

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
      from: typeof from === 'string' && DATE.test(from) ? from : undefined,
      to: typeof to === 'string' && DATE.test(to) ? to : undefined,
    };
    const toDay = filters.to ? startOfDayIn(filters.to, tz) : undefined;
    const page = await this.audit.page({
      action: filters.action,
      actorLogin: filters.actor,
      from: filters.from ? startOfDayIn(filters.from, tz) : undefined,
      // "to" is inclusive: up to the start of the next day.
      to: toDay ? new Date(toDay.getTime() + 24 * 3_600_000) : undefined,
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
