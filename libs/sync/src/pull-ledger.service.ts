import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ReadingsRepository, type MeasurementKind } from '@opendsp/measurements';
import { PullSupersededError } from './sync.errors.js';

/** A pull's plan as agreed with the ledger. */
export interface PullPlan {
  token: string;
  /** `YYYY-MM-DD`, or null for the whole history. */
  since: string | null;
  cursor: string | null;
  resumed: boolean;
}

interface LedgerPullRow {
  requested_full: boolean;
  requested_since: string | null;
  pull_started_at: Date | null;
  pull_since: string | null;
  pull_cursor: string | null;
}

/** The local date one day before `localTime`'s, as `YYYY-MM-DD`. */
export function dayBefore(localTime: string): string {
  return new Date(Date.parse(`${localTime.slice(0, 10)}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/**
 * A pull's two ledger transactions around its pages: `begin` agrees the window and takes the pull over under a new
 * token, `finish` closes it. Its own class so that benchmarks time whole pulls as the sync writes them
 * (bench/sync-derived.ts), with PulledPageWriter for the pages in between.
 */
@Injectable()
export class PullLedger {
  private readonly logger = new Logger(PullLedger.name);

  constructor(
    private readonly em: EntityManager,
    private readonly readings: ReadingsRepository,
  ) {}

  /** Agrees the pull's window and starting point with the ledger and takes the requests over, in one short transaction. */
  async begin(participantId: string, kind: MeasurementKind): Promise<PullPlan> {
    return this.em.fork().transactional(async (em) => {
      await em.execute(`insert into "sync_ledger" ("participant_id", "kind") values (?, ?) on conflict do nothing`, [participantId, kind]);
      const [ledger] = await em.execute<LedgerPullRow[]>(
        `select "requested_full", "requested_since", "pull_started_at", "pull_since", "pull_cursor"::text as pull_cursor
         from "sync_ledger" where "participant_id" = ? and "kind" = ? for update`,
        [participantId, kind],
      );
      const newest = await this.readings.newestLocalTime(em, participantId, kind);
      // null: the whole history.
      const incremental = newest ? dayBefore(newest) : null;
      const wanted = ledger.requested_full || incremental === null ? null : minDate(incremental, ledger.requested_since);
      // An unfinished pull (its worker died, it failed, or it gave up) has a start time and a cursor.
      const running = ledger.pull_started_at !== null;
      // Resume the unfinished pull when its window covers what is wanted now; otherwise start over, wider.
      const covers = running && (ledger.pull_since === null || (wanted !== null && ledger.pull_since <= wanted));
      const since = covers ? ledger.pull_since : running && wanted !== null ? minDate(wanted, ledger.pull_since) : wanted;
      const plan: PullPlan = { token: randomUUID(), since, cursor: covers ? ledger.pull_cursor : null, resumed: covers };
      await em.execute(
        `update "sync_ledger" set "pull_token" = ?, "pull_started_at" = case when ? then "pull_started_at" else now() end,
           "pull_since" = ?, "pull_cursor" = ?,
           "pull_pages" = case when ? then "pull_pages" else 0 end, "pull_readings" = case when ? then "pull_readings" else 0 end,
           "pull_changed" = case when ? then "pull_changed" else 0 end,
           "requested_full" = false, "requested_since" = null, "deferred_until" = null, "deferred_reason" = null,
           "in_flight_since" = least("in_flight_since", "pending_since"), "pending_since" = null, "updated_at" = now()
         where "participant_id" = ? and "kind" = ?`,
        [plan.token, covers, since, plan.cursor, covers, covers, covers, participantId, kind],
      );
      // Debug: a backfill resumes like this at every turn.
      if (covers) this.logger.debug(`resuming the ${kind} pull of ${participantId} after page ${plan.cursor ?? '(start)'}`);
      return plan;
    });
  }

  /** Ends the pull in the ledger. Throws PullSupersededError when `token` no longer owns the pull. */
  async finish(participantId: string, kind: MeasurementKind, token: string, note: string | null): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const done = await em.execute<{ id: string }[]>(
        `update "sync_ledger" set "last_pull_started_at" = "pull_started_at", "last_pull_succeeded_at" = now(),
           "last_pull_readings" = "pull_readings", "last_pull_changed" = "pull_changed",
           "pull_token" = null, "pull_started_at" = null, "pull_since" = null, "pull_cursor" = null,
           "pull_pages" = 0, "pull_readings" = 0, "pull_changed" = 0, "in_flight_since" = null,
           "last_error" = null, "last_error_at" = null, "consecutive_failures" = 0, "last_note" = ?, "updated_at" = now()
         where "participant_id" = ? and "kind" = ? and "pull_token" = ? returning "id"`,
        [note, participantId, kind, token],
      );
      if (done.length === 0) throw new PullSupersededError(`the ${kind} pull of ${participantId} was taken over`);
      // A dead letter of this participant and kind is resolved by this success.
      await em.execute(
        `update "sync_dead_letter" set "resolved_at" = now() where "participant_id" = ? and "kind" = ? and "resolved_at" is null`,
        [participantId, kind],
      );
    });
  }
}

/** The earlier of two `YYYY-MM-DD` dates, ignoring a null. */
function minDate(a: string, b: string | null): string {
  return b !== null && b < a ? b : a;
}
