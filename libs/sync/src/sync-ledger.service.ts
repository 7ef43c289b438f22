import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { MeasurementKind } from '@opendsp/measurements';
import { SyncJobs } from './sync-jobs.js';

/** Where one participant's data of one kind stands, for the portal and the API. */
export interface LedgerView {
  participantId: string;
  ogscId: string;
  kind: MeasurementKind;
  lastNotificationAt: Date | null;
  lastRequestedAt: Date | null;
  lastPullStartedAt: Date | null;
  lastPullSucceededAt: Date | null;
  /** Readings the last successful pull received, and how many were new or changed. */
  lastPullReadings: number | null;
  lastPullChanged: number | null;
  /** The pull in progress (possibly interrupted, waiting for its retry), with its cursor. */
  pull: { startedAt: Date; since: string | null; cursor: string | null; pages: number; readings: number } | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  /** Seconds since the oldest request no successful pull has served yet; 0 when the data is up to date. */
  lagSeconds: number;
}

export interface DeadLetterView {
  id: string;
  participantId: string;
  ogscId: string;
  kind: MeasurementKind;
  error: string;
  attempts: number;
  failedAt: Date;
  resolvedAt: Date | null;
}

export interface SyncOverview {
  /** Participant-kind pairs with a request waiting or a pull running. */
  pending: number;
  /** Pairs whose latest attempt failed. */
  failing: number;
  unresolvedDeadLetters: number;
  maxLagSeconds: number;
  /** Pull jobs waiting (or waiting for a retry) and running in the queue. */
  queue: { queued: number; active: number };
}

interface LedgerRow {
  participant_id: string;
  ogsc_id: string;
  kind: MeasurementKind;
  last_notification_at: Date | null;
  last_requested_at: Date | null;
  last_pull_started_at: Date | null;
  last_pull_succeeded_at: Date | null;
  last_pull_readings: number | null;
  last_pull_changed: number | null;
  pull_started_at: Date | null;
  pull_since: string | null;
  pull_cursor: string | null;
  pull_pages: number;
  pull_readings: number;
  last_error: string | null;
  last_error_at: Date | null;
  consecutive_failures: number;
  lag_seconds: number | string;
}

const LEDGER_SELECT = `select l."participant_id", p."ogsc_id", l."kind", l."last_notification_at", l."last_requested_at", l."last_pull_started_at",
    l."last_pull_succeeded_at", l."last_pull_readings", l."last_pull_changed", l."pull_started_at", l."pull_since", l."pull_cursor"::text as pull_cursor,
    l."pull_pages", l."pull_readings", l."last_error", l."last_error_at", l."consecutive_failures",
    coalesce(extract(epoch from now() - least(l."pending_since", l."in_flight_since")), 0) as lag_seconds
  from "sync_ledger" l join "participant" p on p."id" = l."participant_id"`;

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function view(row: LedgerRow): LedgerView {
  return {
    participantId: row.participant_id,
    ogscId: row.ogsc_id,
    kind: row.kind,
    lastNotificationAt: date(row.last_notification_at),
    lastRequestedAt: date(row.last_requested_at),
    lastPullStartedAt: date(row.last_pull_started_at),
    lastPullSucceededAt: date(row.last_pull_succeeded_at),
    lastPullReadings: row.last_pull_readings,
    lastPullChanged: row.last_pull_changed,
    pull: row.pull_started_at
      ? {
          startedAt: new Date(row.pull_started_at),
          since: row.pull_since,
          cursor: row.pull_cursor,
          pages: row.pull_pages,
          readings: row.pull_readings,
        }
      : null,
    lastError: row.last_error,
    lastErrorAt: date(row.last_error_at),
    consecutiveFailures: row.consecutive_failures,
    lagSeconds: Math.max(0, Math.round(Number(row.lag_seconds))),
  };
}

/**
 * Read-only views of the sync ledger and the dead-letter list, for the portal, the REST API and exports.
 * Every query is a single indexed SQL statement.
 */
@Injectable()
export class SyncLedger {
  constructor(
    private readonly em: EntityManager,
    private readonly jobs: SyncJobs,
  ) {}

  /** The participant's ledger, one entry per kind that has ever been asked for. */
  async forParticipant(participantId: string): Promise<LedgerView[]> {
    const rows = await this.em
      .fork()
      .execute<LedgerRow[]>(`${LEDGER_SELECT} where l."participant_id" = ? order by l."kind"`, [participantId]);
    return rows.map(view);
  }

  /** Entries whose latest attempt failed, or that wait longer than `lagSeconds`, worst first. */
  async problems(options: { lagSeconds?: number; limit?: number } = {}): Promise<LedgerView[]> {
    const rows = await this.em.fork().execute<LedgerRow[]>(
      `${LEDGER_SELECT}
       where l."last_error" is not null or least(l."pending_since", l."in_flight_since") < now() - make_interval(secs => ?)
       order by l."consecutive_failures" desc, lag_seconds desc, l."id" limit ?`,
      [options.lagSeconds ?? 900, options.limit ?? 100],
    );
    return rows.map(view);
  }

  /** Pulls that gave up, newest first; resolved ones (a later pull succeeded) only when asked for. */
  async deadLetters(options: { includeResolved?: boolean; limit?: number } = {}): Promise<DeadLetterView[]> {
    const rows = await this.em.fork().execute<
      {
        id: string;
        participant_id: string;
        ogsc_id: string;
        kind: MeasurementKind;
        error: string;
        attempts: number;
        failed_at: Date;
        resolved_at: Date | null;
      }[]
    >(
      `select d."id"::text as id, d."participant_id", p."ogsc_id", d."kind", d."error", d."attempts", d."failed_at", d."resolved_at"
       from "sync_dead_letter" d join "participant" p on p."id" = d."participant_id"
       where ? or d."resolved_at" is null order by d."failed_at" desc, d."id" desc limit ?`,
      [options.includeResolved ?? false, options.limit ?? 100],
    );
    return rows.map((row) => ({
      id: row.id,
      participantId: row.participant_id,
      ogscId: row.ogsc_id,
      kind: row.kind,
      error: row.error,
      attempts: row.attempts,
      failedAt: new Date(row.failed_at),
      resolvedAt: date(row.resolved_at),
    }));
  }

  async overview(): Promise<SyncOverview> {
    const [row] = await this.em.fork().execute<{ pending: number; failing: number; dead: number; max_lag: number | string | null }[]>(
      `select
         (select count(*)::int from "sync_ledger" where "pending_since" is not null or "pull_token" is not null) as pending,
         (select count(*)::int from "sync_ledger" where "last_error" is not null) as failing,
         (select count(*)::int from "sync_dead_letter" where "resolved_at" is null) as dead,
         (select max(extract(epoch from now() - least("pending_since", "in_flight_since"))) from "sync_ledger") as max_lag`,
    );
    return {
      pending: row.pending,
      failing: row.failing,
      unresolvedDeadLetters: row.dead,
      maxLagSeconds: Math.max(0, Math.round(Number(row.max_lag ?? 0))),
      queue: await this.jobs.pullCounts(),
    };
  }
}
