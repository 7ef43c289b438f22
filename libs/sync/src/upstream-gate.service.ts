import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { UpstreamDeferredError } from './sync.errors.js';

interface ReservedRow {
  blocked_ms: number | string;
  reason: 'retry-after' | 'circuit' | null;
  /** null: nothing was reserved (blocked for longer than a worker waits inline). */
  wait_ms: number | string | null;
  consecutive_failures: number | null;
}

interface BlockRow {
  blocked_ms: number | string;
  reason: 'retry-after' | 'circuit' | null;
}

/** The row that spaces an endpoint's background requests (backfills, reconciliation) within their share of the budget. */
export const backgroundLane = (endpoint: string): string => `${endpoint}:background`;

/**
 * The rules every process follows before calling an OMRON endpoint, kept in one `sync_upstream_state` row per
 * endpoint so that they hold across processes:
 *
 * - **Budget**: requests are spaced 60/N seconds apart (N = SYNC_UPSTREAM_REQUESTS_PER_MINUTE). Each caller
 *   reserves the next free slot with one UPDATE and sleeps until it, so all processes together never send
 *   more than N a minute.
 * - **Lanes**: background requests (backfills, reconciliation) also take a slot of the `…:background` row, spaced
 *   for (1 − SYNC_NOTIFICATION_BUDGET_SHARE) × N a minute, so the rest of the budget stays for fresh pulls.
 * - **Retry-After**: a 429 (or 503) answer's Retry-After, in seconds or as an HTTP date, blocks the endpoint
 *   for everyone until then; a caller whose reserved slot falls inside a block re-reserves after it.
 * - **Circuit breaker**: it opens only when failures span several participants: SYNC_CIRCUIT_FAILURES failed
 *   requests (5xx, timeouts, resets; the client decides what counts) within SYNC_CIRCUIT_WINDOW_SECONDS from at
 *   least SYNC_CIRCUIT_PARTICIPANTS participants, with no success in between. Then nobody calls for
 *   SYNC_CIRCUIT_COOLDOWN_SECONDS; then requests go again, and one more failure before a success opens it again.
 *   What belongs to one participant (4xx, a body OMRON sent only them) is never recorded here.
 */
@Injectable()
export class UpstreamGate {
  private readonly known = new Set<string>();
  /** Failures in a row as of this process's last look; a success only writes when it has something to reset. */
  private readonly failuresSeen = new Map<string, number>();

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  /**
   * Returns when a request to `endpoint` may go; throws UpstreamDeferredError when that is too far off. A
   * `background` request (a backfill, reconciliation) first takes a slot of the background lane, which is spaced so
   * that those requests never use more than (1 − SYNC_NOTIFICATION_BUDGET_SHARE) of the budget, then a slot of the
   * shared budget like any other request. The rest of the budget stays for fresh pulls however many backfills wait.
   */
  async acquire(endpoint: string, signal?: AbortSignal, lane: 'fresh' | 'background' = 'fresh'): Promise<void> {
    await this.ensureRow(endpoint);
    if (lane === 'background' && this.config.sync.notificationBudgetShare > 0) {
      const background = backgroundLane(endpoint);
      await this.ensureRow(background);
      await this.reserve(background, endpoint, this.spacingSeconds() / (1 - this.config.sync.notificationBudgetShare), signal);
    }
    for (;;) {
      // A slot taken without waiting was reserved past any block then; after a wait, someone may have been told to
      // wait (429) or opened the circuit since.
      if (!(await this.reserve(endpoint, endpoint, this.spacingSeconds(), signal))) return;
      const [block] = await this.blockOf(endpoint);
      if (Number(block.blocked_ms) <= 0) return;
    }
  }

  /** OMRON said "not before": nobody calls `endpoint` until `retryAfterMs` from now. */
  async block(endpoint: string, retryAfterMs: number): Promise<void> {
    await this.ensureRow(endpoint);
    await this.em
      .fork()
      .execute(
        `update "sync_upstream_state" set "blocked_until" = greatest("blocked_until", clock_timestamp() + make_interval(secs => ?)) where "endpoint" = ?`,
        [retryAfterMs / 1000, endpoint],
      );
  }

  /**
   * Counts a failed request of `subject` (whose it was: the OMRON connection) toward the circuit breaker; returns
   * whether the circuit is now open. Under the endpoint row's lock, so concurrent failures are counted together.
   */
  async recordFailure(endpoint: string, subject: string, reason: string): Promise<boolean> {
    await this.ensureRow(endpoint);
    const { failures, participants, windowSeconds } = this.config.sync.circuit;
    const row = await this.em.fork().transactional(async (em) => {
      const [state] = await em.execute<{ tripped: boolean }[]>(
        `select "circuit_open_until" is not null as tripped from "sync_upstream_state" where "endpoint" = ? for update`,
        [endpoint],
      );
      await em.execute(
        `delete from "sync_upstream_failure" where "endpoint" = ? and "failed_at" < clock_timestamp() - make_interval(secs => ?)`,
        [endpoint, windowSeconds],
      );
      await em.execute(
        `insert into "sync_upstream_failure" ("endpoint", "subject", "reason", "failed_at") values (?, ?, ?, clock_timestamp())`,
        [endpoint, subject, reason.slice(0, 200)],
      );
      const [recent] = await em.execute<{ failures: number; subjects: number }[]>(
        `select count(*)::int as failures, count(distinct "subject")::int as subjects from "sync_upstream_failure" where "endpoint" = ?`,
        [endpoint],
      );
      // Opened before and not closed by a success since (half-open): the trial failed, so it opens again at once.
      const open = state.tripped || (recent.failures >= failures && recent.subjects >= participants);
      const [updated] = await em.execute<{ consecutive_failures: number }[]>(
        `update "sync_upstream_state" set "consecutive_failures" = "consecutive_failures" + 1,
           "circuit_open_until" = case when ? then clock_timestamp() + make_interval(secs => ?) else "circuit_open_until" end
         where "endpoint" = ? returning "consecutive_failures"`,
        [open, this.config.sync.circuitCooldownSeconds, endpoint],
      );
      return { open, consecutiveFailures: updated.consecutive_failures };
    });
    this.failuresSeen.set(endpoint, row.consecutiveFailures);
    return row.open;
  }

  /** A good answer closes the circuit and forgets the failures counted so far (OMRON answers, so it is not down). */
  async recordSuccess(endpoint: string): Promise<void> {
    if (!this.failuresSeen.get(endpoint)) return;
    await this.em.fork().transactional(async (em) => {
      await em.execute(
        `update "sync_upstream_state" set "consecutive_failures" = 0, "circuit_open_until" = null where "endpoint" = ? and ("consecutive_failures" > 0 or "circuit_open_until" is not null)`,
        [endpoint],
      );
      await em.execute(`delete from "sync_upstream_failure" where "endpoint" = ?`, [endpoint]);
    });
    this.failuresSeen.set(endpoint, 0);
  }

  /**
   * In one statement: throws UpstreamDeferredError, reserving nothing, when `endpoint` is blocked (Retry-After, an
   * open circuit) for longer than a worker waits inline; otherwise reserves the next slot of `row` (the endpoint's
   * own row: past any block; a lane row only spaces requests) and sleeps until it. Returns whether it slept. It used to
   * take three round trips per row (look at the block, reserve, look again), five for a background request.
   */
  private async reserve(row: string, endpoint: string, spacingSeconds: number, signal?: AbortSignal): Promise<boolean> {
    const own = row === endpoint;
    const [slot] = await this.em.fork().execute<ReservedRow[]>(
      `with "block" as (
         select extract(epoch from (greatest(clock_timestamp(), "blocked_until", "circuit_open_until") - clock_timestamp())) * 1000 as blocked_ms,
                case when "circuit_open_until" > clock_timestamp() then 'circuit' when "blocked_until" > clock_timestamp() then 'retry-after' end as reason
         from "sync_upstream_state" where "endpoint" = ?
       ), "slot" as (
         update "sync_upstream_state"
         set "next_slot_at" = greatest("next_slot_at", clock_timestamp()${own ? ', "blocked_until", "circuit_open_until"' : ''}) + make_interval(secs => ?)
         where "endpoint" = ? and (select blocked_ms from "block") <= ?
         returning extract(epoch from ("next_slot_at" - make_interval(secs => ?) - clock_timestamp())) * 1000 as wait_ms, "consecutive_failures"
       )
       select "block".blocked_ms, "block".reason, "slot".wait_ms, "slot".consecutive_failures from "block" left join "slot" on true`,
      [endpoint, spacingSeconds, row, this.config.sync.maxInlineWaitSeconds * 1000, spacingSeconds],
    );
    // A block longer than SYNC_MAX_INLINE_WAIT_SECONDS is not waited out by a worker: the pull is deferred instead.
    if (slot.wait_ms === null) {
      throw new UpstreamDeferredError(
        new Date(Date.now() + Number(slot.blocked_ms)),
        slot.reason === 'circuit' ? 'OMRON is failing (circuit breaker open)' : 'OMRON asked to wait (Retry-After)',
      );
    }
    if (own) this.failuresSeen.set(endpoint, Number(slot.consecutive_failures));
    const waitMs = Number(slot.wait_ms);
    if (waitMs > 0) await sleep(waitMs, undefined, { signal });
    return waitMs > 0;
  }

  private spacingSeconds(): number {
    return 60 / this.config.sync.upstreamRequestsPerMinute;
  }

  private blockOf(endpoint: string): Promise<BlockRow[]> {
    return this.em.fork().execute<BlockRow[]>(
      `select extract(epoch from (greatest(clock_timestamp(), "blocked_until", "circuit_open_until") - clock_timestamp())) * 1000 as blocked_ms,
              case when "circuit_open_until" > clock_timestamp() then 'circuit' when "blocked_until" > clock_timestamp() then 'retry-after' end as reason
       from "sync_upstream_state" where "endpoint" = ?`,
      [endpoint],
    );
  }

  private async ensureRow(endpoint: string): Promise<void> {
    if (this.known.has(endpoint)) return;
    await this.em
      .fork()
      .execute(`insert into "sync_upstream_state" ("endpoint", "next_slot_at") values (?, clock_timestamp()) on conflict do nothing`, [
        endpoint,
      ]);
    this.known.add(endpoint);
  }
}
