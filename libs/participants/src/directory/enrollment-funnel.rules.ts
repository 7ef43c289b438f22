import type { EnrollmentStatus } from '../enrollment.entity.js';

/**
 * Where a participant stands in a group's enrollment funnel, derived from the enrollment alone:
 * `invited` → `link_opened` → `consented` (OGSC ID issued, no reading yet) → `receiving` (consented, last
 * reading within STALE_AFTER_DAYS: "active" on the dashboard) → `stale` (consented, had readings, none within
 * STALE_AFTER_DAYS); or `withdrawn`. The group's funnel, the dashboard and both participant lists count and
 * show these stages; nothing else defines them.
 */
export const FUNNEL_STAGES = ['invited', 'link_opened', 'consented', 'receiving', 'stale', 'withdrawn'] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

/** A participant's OMRON connection as the group sees it: the token store's state, or none yet, or withdrawn from this group. */
export const GROUP_CONNECTION_STATES = ['active', 'refreshing', 'reconnect_needed', 'revoked', 'withdrawn', 'not_connected'] as const;
export type GroupConnectionState = (typeof GROUP_CONNECTION_STATES)[number];

/** The instant before which a consented participant's last reading makes them stale. */
export function staleCutoff(staleAfterDays: number, now: number = Date.now()): Date {
  return new Date(now - staleAfterDays * 86_400_000);
}

/**
 * The funnel stage of enrollment `e` in SQL; its one parameter is the stale cutoff (a timestamptz).
 * It compares `last_reading_at` alone, as `funnelStage` does, so the list's indexes on it serve the stage filters.
 */
export const FUNNEL_STAGE_SQL = `case
  when e.status <> 'consented' then e.status
  when e.last_reading_at is null then 'consented'
  when e.last_reading_at < ?::timestamptz then 'stale'
  else 'receiving' end`;

/**
 * The group connection state of enrollment `e` with its participant's connection `c` (left-joined) in SQL. A
 * connection's state is never null, so a null state is no connection; reading only the state lets a funnel take
 * it from `omron_connection_user_state_index` alone.
 */
export const GROUP_CONNECTION_SQL = `case when e.status = 'withdrawn' then 'withdrawn' when c.state is null then 'not_connected' else c.state end`;

/** The funnel stage of an enrollment, as `FUNNEL_STAGE_SQL` computes it in the database. */
export function funnelStage(enrollment: { status: EnrollmentStatus; lastReadingAt: Date | null }, cutoff: Date): FunnelStage {
  if (enrollment.status !== 'consented') return enrollment.status;
  if (enrollment.lastReadingAt === null) return 'consented';
  return enrollment.lastReadingAt.getTime() < cutoff.getTime() ? 'stale' : 'receiving';
}
