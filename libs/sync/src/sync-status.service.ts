import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { MEASUREMENT_KIND_NAMES, ReadingsRepository, type MeasurementKind } from '@opendsp/measurements';
import { ConsentedParticipants } from '@opendsp/participants';
import { MEASUREMENT_ENDPOINT } from './measurement-client.service.js';
import { JOB_SCHEMA, PULL_QUEUE } from './sync-jobs.service.js';
import { SyncScheduling } from './sync-scheduling.service.js';
import type {
  DeadLetterRetryOutcome,
  SyncFailureRow,
  SyncGroupFigures,
  SyncJobRow,
  SyncLedgerStatus,
  SyncOverview,
  SyncRequestOutcome,
  SyncScope,
  SyncDeferral,
} from './sync-status.types.js';

/**
 * SQL condition: the participant in `column` is one the reader may see. Its parameter, given twice, is the
 * participant IDs libs/participants finds in the reader's groups (`ConsentedParticipants.idsInGroups`), or null
 * for a reader of every group (`scopeParams`).
 */
const inScope = (column: string): string => `(?::uuid[] is null or ${column} = any(?::uuid[]))`;

/** Pull jobs of the queue (pg-boss keeps the participant in the job's data, as `job_participant_id`). */
const PULL_JOBS = `${JOB_SCHEMA}.job j cross join lateral (select (j.data->>'participantId')::uuid as job_participant_id) jp`;
/** Ledger pairs whose latest attempt failed in the last 24 hours (a later success clears `last_error`). */
const FAILING_24H = `l."last_error" is not null and l."last_error_at" > now() - interval '24 hours'`;

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));
/** A json column: node-postgres hands it over parsed; a driver that hands over its text is read the same way. */
const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

/**
 * The measurement endpoint's gate (`UpstreamGate`) as the overview shows it, its failures within the circuit's window;
 * placeholders: the window in seconds, the endpoint.
 */
const UPSTREAM_STATE = `select greatest(extract(epoch from s."next_slot_at" - clock_timestamp()), 0) as reserved_seconds,
     case when s."blocked_until" > clock_timestamp() then s."blocked_until" end as blocked_until,
     s."circuit_open_until", coalesce(s."circuit_open_until" > clock_timestamp(), false) as open,
     count(f."id")::int as failures, count(distinct f."subject")::int as participants
   from "sync_upstream_state" s
   left join "sync_upstream_failure" f on f."endpoint" = s."endpoint" and f."failed_at" >= clock_timestamp() - make_interval(secs => ?)
   where s."endpoint" = ? group by s."endpoint"`;

interface UpstreamRow {
  reserved_seconds: number | string;
  blocked_until: Date | string | null;
  circuit_open_until: Date | string | null;
  open: boolean;
  failures: number;
  participants: number;
}
const deferral = (until: Date | string | null, reason: string | null): SyncDeferral | null =>
  until === null ? null : { until: new Date(until), reason: reason ?? 'waiting for OMRON' };

/** A kind's row of the ledger query: the `sync_ledger` columns are null when the kind has no row there. */
interface LedgerRow {
  kind: MeasurementKind;
  stored: number;
  in_ledger: boolean;
  last_notification_at: Date | null;
  last_requested_at: Date | null;
  last_pull_started_at: Date | null;
  last_pull_succeeded_at: Date | null;
  last_pull_readings: number | null;
  last_pull_changed: number | null;
  pull_started_at: Date | null;
  pull_since: string | null;
  pull_cursor: string | null;
  pull_pages: number | null;
  pull_readings: number | null;
  last_error: string | null;
  last_error_at: Date | null;
  consecutive_failures: number | null;
  deferred_until: Date | null;
  deferred_reason: string | null;
  lag_seconds: number | string;
  next_run_at: Date | null;
}

function ledgerStatus(row: LedgerRow): SyncLedgerStatus {
  return {
    kind: row.kind,
    inLedger: row.in_ledger,
    readingsStored: row.stored,
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
          pages: row.pull_pages ?? 0,
          readings: row.pull_readings ?? 0,
        }
      : null,
    lastOutcome: row.last_error ? 'failed' : row.last_pull_succeeded_at ? 'ok' : 'never',
    lastError: row.last_error,
    lastErrorAt: date(row.last_error_at),
    consecutiveFailures: row.consecutive_failures ?? 0,
    deferral: deferral(row.deferred_until, row.deferred_reason),
    lagSeconds: Math.max(0, Math.round(Number(row.lag_seconds))),
    nextRunAt: date(row.next_run_at),
  };
}

const JOB_STATES = { created: 'queued', retry: 'retry', active: 'active' } as const;

/**
 * Every question others ask of the sync, and the two requests they make of it ("sync now", a dead letter's
 * retry): the portal's data views and the REST API call this service, and only libs/sync reads its tables.
 * Queue figures come from pg-boss's tables, failures, dead letters and the per-participant ledger from
 * `sync_ledger` / `sync_dead_letter`, the inbox from `sync_notification`, the upstream budget and circuit from
 * `sync_upstream_state`, the next runs from `sync_periodic_run`. Everything about participants is narrowed to
 * the reader's scope with the participant IDs libs/participants finds in the reader's groups, and shown with
 * the OGSC IDs it gives (`ConsentedParticipants`): no statement here reads its tables.
 */
@Injectable()
export class SyncStatusService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly scheduling: SyncScheduling,
    private readonly readings: ReadingsRepository,
    private readonly participants: ConsentedParticipants,
  ) {}

  /** The parameters of `inScope`: the IDs of the participants in the scope's groups, twice; null twice for every group. */
  private async scopeParams(em: EntityManager, scope: SyncScope): Promise<unknown[]> {
    const ids = await this.participants.idsInGroups(em, scope.groupIds);
    const param = ids === null ? null : `{${ids.join(',')}}`;
    return [param, param];
  }

  /** Rows with the OGSC ID of their `participant_id` (from libs/participants). */
  private async withOgscIds<T extends { participant_id: string }>(em: EntityManager, rows: T[]): Promise<(T & { ogsc_id: string })[]> {
    const ogscIds = await this.participants.ogscIds(
      em,
      rows.map((row) => row.participant_id),
    );
    return rows.map((row) => ({ ...row, ogsc_id: ogscIds.get(row.participant_id)! }));
  }

  async overview(scope: SyncScope): Promise<SyncOverview> {
    const em = this.em.fork();
    const scoped = await this.scopeParams(em, scope);
    // One statement (none in a transaction): the figures, the upstream gate's row and the periodic runs, the last
    // two as JSON columns.
    const { windowSeconds } = this.config.sync.circuit;
    const [figures] = await em.execute<Record<string, unknown>[]>(
      `select
       (select count(*)::int from ${PULL_JOBS} where j."name" = ? and j."state" in ('created', 'retry') and ${inScope('jp.job_participant_id')}) as queue_depth,
       (select count(*)::int from ${PULL_JOBS} where j."name" = ? and j."state" = 'active' and ${inScope('jp.job_participant_id')}) as in_flight,
       (select count(*)::int from "sync_ledger" l where ${FAILING_24H} and ${inScope('l."participant_id"')}) as failures,
       (select count(*)::int from "sync_dead_letter" d where d."resolved_at" is null and ${inScope('d."participant_id"')}) as dead,
       (select max(extract(epoch from now() - least(l."pending_since", l."in_flight_since"))) from "sync_ledger" l where ${inScope('l."participant_id"')}) as max_lag,
       (select count(*)::int from "sync_notification" n where n."participant_id" is not null and n."received_at" > now() - interval '24 hours' and ${inScope('n."participant_id"')}) as received,
       (select count(*)::int from "sync_notification" n where n."participant_id" is not null and n."dispatched_at" is null and ${inScope('n."participant_id"')}) as pending,
       (select min(n."received_at") from "sync_notification" n where n."participant_id" is not null and n."dispatched_at" is null and ${inScope('n."participant_id"')}) as oldest_pending,
       (select count(*)::int from "sync_unrecognised_notification" u where u."received_at" > now() - interval '24 hours') as unrecognised,
       (select row_to_json(u) from (${UPSTREAM_STATE}) u) as upstream,
       (select coalesce(json_agg(json_build_object('task', r."task", 'last_run_at', r."last_run_at")), '[]') from "sync_periodic_run" r where r."task" = any(?::text[])) as next_runs`,
      [
        PULL_QUEUE,
        ...scoped,
        PULL_QUEUE,
        ...Array.from({ length: 7 }, () => scoped).flat(),
        windowSeconds,
        MEASUREMENT_ENDPOINT,
        `{${Object.keys(this.periodicRuns()).join(',')}}`,
      ],
    );
    const upstream = this.upstream(json<UpstreamRow | null>(figures.upstream));
    const nextRuns = this.nextRuns(json<{ task: string; last_run_at: string }[]>(figures.next_runs));
    return {
      queueDepth: Number(figures.queue_depth),
      inFlight: Number(figures.in_flight),
      failures24h: Number(figures.failures),
      deadLetters: Number(figures.dead),
      longestWaitSeconds: Math.max(0, Math.round(Number(figures.max_lag ?? 0))),
      inbox: {
        received24h: Number(figures.received),
        pending: Number(figures.pending),
        // The inbox drops repeats with ON CONFLICT DO NOTHING and does not count them.
        duplicates24h: null,
        // Not tied to a participant, so not narrowed to the reader's groups: a count says nothing about anyone.
        unrecognised24h: Number(figures.unrecognised),
        oldestPendingAt: date(figures.oldest_pending as Date | string | null),
      },
      upstream,
      nextRuns,
    };
  }

  /**
   * Each group's queue, failures and dead letters: rows per participant on the sync tables (only participants with
   * something queued or failing have any), added up by the groups libs/participants says they are in, in one
   * statement (a launch day queues thousands of pulls: none of them travel to this process).
   */
  async groupFigures(groupIds: string[]): Promise<Map<string, SyncGroupFigures>> {
    const sums = await this.participants.sumsByGroup(
      this.em.fork(),
      {
        sql: `select jp.job_participant_id as participant_id, 1 as queue_depth, 0 as failures, 0 as dead
                from ${PULL_JOBS} where j."name" = ? and j."state" in ('created', 'retry')
              union all
              select l."participant_id", 0, 1, 0 from "sync_ledger" l where ${FAILING_24H}
              union all
              select d."participant_id", 0, 0, 1 from "sync_dead_letter" d where d."resolved_at" is null`,
        params: [PULL_QUEUE],
      },
      ['queue_depth', 'failures', 'dead'] as const,
      groupIds,
    );
    return new Map<string, SyncGroupFigures>(
      groupIds.map((id) => {
        const group = sums.get(id);
        return [id, { queueDepth: group?.queue_depth ?? 0, failures24h: group?.failures ?? 0, deadLetters: group?.dead ?? 0 }];
      }),
    );
  }

  async jobsInFlight(scope: SyncScope, limit: number): Promise<SyncJobRow[]> {
    const em = this.em.fork();
    const found = await em.execute<
      {
        id: string;
        participant_id: string;
        kind: MeasurementKind;
        state: keyof typeof JOB_STATES;
        retry_count: number;
        started_on: Date | null;
        created_on: Date;
        full: boolean | null;
      }[]
    >(
      `select j."id"::text as id, jp.job_participant_id as participant_id, j.data->>'kind' as kind, j."state", j."retry_count", j."started_on", j."created_on",
         (select l."requested_full" or (l."pull_token" is not null and l."pull_since" is null) from "sync_ledger" l
           where l."participant_id" = jp.job_participant_id and l."kind" = j.data->>'kind') as full
       from ${PULL_JOBS}
       where j."name" = ? and j."state" in ('created', 'retry', 'active') and ${inScope('jp.job_participant_id')}
       order by j."created_on", j."id" limit ?`,
      [PULL_QUEUE, ...(await this.scopeParams(em, scope)), limit],
    );
    const rows = await this.withOgscIds(em, found);
    return rows.map((row) => ({
      id: row.id,
      ogscId: row.ogsc_id,
      kind: row.kind,
      name: row.full ? 'backfill' : 'pull',
      state: JOB_STATES[row.state],
      attempts: row.retry_count,
      startedAt: date(row.started_on),
      createdAt: new Date(row.created_on),
    }));
  }

  async recentFailures(scope: SyncScope, limit: number): Promise<SyncFailureRow[]> {
    const em = this.em.fork();
    const found = await em.execute<
      {
        id: string;
        participant_id: string;
        kind: MeasurementKind;
        last_error: string;
        consecutive_failures: number;
        last_error_at: Date;
        retry_at: Date | null;
        deferred_until: Date | null;
        deferred_reason: string | null;
      }[]
    >(
      `select l."id"::text as id, l."participant_id", l."kind", l."last_error", l."consecutive_failures", l."last_error_at",
         l."deferred_until", l."deferred_reason",
         (select min(j."start_after") from ${JOB_SCHEMA}.job j where j."name" = ? and j."state" in ('created', 'retry')
            and j."singleton_key" = l."participant_id"::text || ':' || l."kind") as retry_at
       from "sync_ledger" l
       where ${FAILING_24H} and ${inScope('l."participant_id"')}
       order by l."last_error_at" desc, l."id" desc limit ?`,
      [PULL_QUEUE, ...(await this.scopeParams(em, scope)), limit],
    );
    const rows = await this.withOgscIds(em, found);
    return rows.map((row) => ({
      id: row.id,
      ogscId: row.ogsc_id,
      kind: row.kind,
      name: 'pull',
      reason: row.last_error,
      attempts: row.consecutive_failures,
      failedAt: new Date(row.last_error_at),
      retryAt: date(row.retry_at),
      deferral: deferral(row.deferred_until, row.deferred_reason),
    }));
  }

  async deadLetters(scope: SyncScope, limit: number): Promise<SyncFailureRow[]> {
    const em = this.em.fork();
    const found = await em.execute<
      { id: string; participant_id: string; kind: MeasurementKind; error: string; attempts: number; failed_at: Date }[]
    >(
      `select d."id"::text as id, d."participant_id", d."kind", d."error", d."attempts", d."failed_at"
       from "sync_dead_letter" d
       where d."resolved_at" is null and ${inScope('d."participant_id"')}
       order by d."failed_at" desc, d."id" desc limit ?`,
      [...(await this.scopeParams(em, scope)), limit],
    );
    const rows = await this.withOgscIds(em, found);
    return rows.map((row) => ({
      id: row.id,
      ogscId: row.ogsc_id,
      kind: row.kind,
      name: 'pull',
      reason: row.error,
      attempts: row.attempts,
      failedAt: new Date(row.failed_at),
      retryAt: null,
      deferral: null,
    }));
  }

  /**
   * The participant's ledger: every kind, in the catalogue's order, with its `sync_ledger` row when there is
   * one, the readings stored and the next queued pull.
   */
  async ledger(participantId: string): Promise<SyncLedgerStatus[]> {
    const counts = this.readings.storedCountsSql(participantId);
    const rows = await this.em.fork().execute<LedgerRow[]>(
      `select c."kind", c."stored", l."id" is not null as in_ledger, l."last_notification_at", l."last_requested_at",
         l."last_pull_started_at", l."last_pull_succeeded_at", l."last_pull_readings", l."last_pull_changed", l."pull_started_at",
         l."pull_since", l."pull_cursor"::text as pull_cursor, l."pull_pages", l."pull_readings", l."last_error", l."last_error_at",
         l."consecutive_failures", l."deferred_until", l."deferred_reason", coalesce(extract(epoch from now() - least(l."pending_since", l."in_flight_since")), 0) as lag_seconds,
         (select min(j."start_after") from ${JOB_SCHEMA}.job j where j."name" = ? and j."state" in ('created', 'retry')
            and j."singleton_key" = ?::text || ':' || c."kind") as next_run_at
       from (${counts.sql}) c left join "sync_ledger" l on l."participant_id" = ? and l."kind" = c."kind"`,
      [PULL_QUEUE, participantId, ...counts.params, participantId],
    );
    const byKind = new Map(rows.map((row) => [row.kind, row]));
    return MEASUREMENT_KIND_NAMES.map((kind) => ledgerStatus(byKind.get(kind)!));
  }

  /**
   * "Sync now": the ledger's request and the pull jobs are written through the caller's transaction, so
   * they commit with its audit row (and a worker never takes the job before the request is visible).
   */
  async requestSync(
    em: EntityManager,
    participantId: string,
    kind: MeasurementKind | null,
    _actor: AuditActor,
  ): Promise<SyncRequestOutcome> {
    const granted = await this.scheduling.grantedKinds(participantId, em);
    const kinds = kind ? granted.filter((candidate) => candidate === kind) : granted;
    if (kinds.length === 0) return 'not_connected';
    const [waiting] = await em.execute<{ n: number }[]>(
      `select count(*)::int as n from "sync_ledger" where "participant_id" = ? and "kind" = any(?::text[]) and "pending_since" is not null`,
      [participantId, `{${kinds.join(',')}}`],
    );
    await this.scheduling.requestPulls(
      kinds.map((chosen) => ({ participantId, kind: chosen })),
      em,
    );
    return waiting.n === kinds.length ? 'already_queued' : 'queued';
  }

  /**
   * Sends a dead letter back to the queue: a new pull of its participant and kind is requested (through the
   * ledger, so it covers everything still wanted) and the dead letter leaves the list. Should that pull give up
   * too, it comes back as a new dead letter.
   */
  async retryDeadLetter(em: EntityManager, scope: SyncScope, id: string, _actor: AuditActor): Promise<DeadLetterRetryOutcome> {
    if (!/^\d{1,18}$/.test(id)) return 'not_found';
    const [deadLetter] = await em.execute<{ participant_id: string; kind: MeasurementKind }[]>(
      `update "sync_dead_letter" d set "resolved_at" = now()
       where d."id" = ?::bigint and d."resolved_at" is null and ${inScope('d."participant_id"')}
       returning d."participant_id", d."kind"`,
      [id, ...(await this.scopeParams(em, scope))],
    );
    if (!deadLetter) return 'not_found';
    await this.scheduling.requestPulls([{ participantId: deadLetter.participant_id, kind: deadLetter.kind }], em);
    return 'retried';
  }

  /** The measurement endpoint's shared budget, Retry-After block and circuit breaker (`UpstreamGate`), from its row. */
  private upstream(row: UpstreamRow | null): SyncOverview['upstream'] {
    const perMinute = this.config.sync.upstreamRequestsPerMinute;
    const { windowSeconds } = this.config.sync.circuit;
    if (!row) {
      return {
        rateLimit: { limit: perMinute, remaining: perMinute, resetsAt: null, throttledUntil: null },
        circuit: { state: 'closed', since: null, reason: null },
      };
    }
    // Slots already reserved ahead of now use up this minute's budget.
    const reserved = Math.ceil((Number(row.reserved_seconds) * perMinute) / 60);
    const cooldownMs = this.config.sync.circuitCooldownSeconds * 1000;
    const openUntil = date(row.circuit_open_until);
    const reason = row.failures > 0 ? `${row.failures} failures of ${row.participants} participants in the last ${windowSeconds} s` : null;
    return {
      rateLimit: {
        limit: perMinute,
        remaining: Math.max(0, perMinute - reserved),
        resetsAt: null,
        throttledUntil: date(row.blocked_until),
      },
      circuit: row.open
        ? { state: 'open', since: new Date(openUntil!.getTime() - cooldownMs), reason }
        : openUntil
          ? { state: 'half_open', since: openUntil, reason }
          : { state: 'closed', since: null, reason },
    };
  }

  /** The periodic tasks shown, by `sync_periodic_run`'s task name. */
  private periodicRuns(): Record<string, { name: string; minutes: number }> {
    return {
      reconcile: { name: 'reconciliation', minutes: this.config.sync.reconcileIntervalMinutes },
      'prune-inbox': { name: 'inbox pruning', minutes: 24 * 60 },
    };
  }

  /** Periodic sync work as `SyncMaintenance` keeps it in `sync_periodic_run` (known once a worker has run), from its rows. */
  private nextRuns(rows: { task: string; last_run_at: Date | string }[]): SyncOverview['nextRuns'] {
    const intervals = this.periodicRuns();
    return rows
      .map((row) => ({
        name: intervals[row.task].name,
        at: new Date(new Date(row.last_run_at).getTime() + intervals[row.task].minutes * 60_000),
      }))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}
