import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { MEASUREMENT_KINDS } from '@opendsp/measurements';
import { ConsentedParticipants } from '@opendsp/participants';
import { OmronConnections } from '@opendsp/tokens';
import { SyncJobs, type PullLane } from './sync-jobs.service.js';
import { kindsInScopes, LEDGER_LANE, SyncScheduling, type PullRequest } from './sync-scheduling.service.js';

/** Requests that no pull took over for this long are queued again (their job was lost, e.g. the queue was unreachable). */
const STALE_REQUEST_MINUTES = 5;
/** Dispatched notifications are kept this long, then deleted. */
const INBOX_RETENTION_DAYS = 30;
const CHUNK = 1000;

/**
 * The sync's periodic work, in worker processes (@nestjs/schedule checks every minute; the intervals
 * themselves are kept in `sync_periodic_run`, so several workers run each task once per interval):
 *
 * - **Reconciliation** every SYNC_RECONCILE_INTERVAL_MINUTES (default 6 hours): every active participant's
 *   last SYNC_RECONCILE_LOOKBACK_DAYS days of every granted kind are pulled again, which catches
 *   notifications OMRON never delivered (and readings uploaded late with older measurement times).
 * - Requests left waiting without a job are queued again; old dispatched notifications are deleted.
 */
@Injectable()
export class SyncMaintenance {
  private readonly logger = new Logger(SyncMaintenance.name);
  private running = false;

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly scheduling: SyncScheduling,
    private readonly jobs: SyncJobs,
    private readonly participants: ConsentedParticipants,
    private readonly connections: OmronConnections,
  ) {}

  @Interval('sync-maintenance', 60_000)
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (await this.due('reconcile', this.config.sync.reconcileIntervalMinutes)) await this.reconcile();
      await this.requeueStaleRequests();
      if (await this.due('prune-inbox', 24 * 60)) await this.pruneInbox();
    } catch (error) {
      this.logger.warn(`sync maintenance failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Requests a pull of the last few days for every participant with a consented group and a usable connection. */
  async reconcile(): Promise<number> {
    const since = new Date(Date.now() - (this.config.sync.reconcileLookbackDays + 1) * 86_400_000).toISOString().slice(0, 10);
    let after = '00000000-0000-0000-0000-000000000000';
    let participants = 0;
    for (;;) {
      const em = this.em.fork();
      const consented = await this.participants.pageWithOmronUser(em, after, CHUNK);
      if (consented.length === 0) break;
      const scopes = await this.connections.usableScopes(
        em,
        consented.map((participant) => participant.omronUserId),
      );
      const connected = consented.filter((participant) => scopes.has(participant.omronUserId));
      const requests: PullRequest[] = connected.flatMap((participant) =>
        kindsInScopes(scopes.get(participant.omronUserId)!).map((kind) => ({ participantId: participant.id, kind, since })),
      );
      await this.scheduling.requestPulls(requests);
      participants += connected.length;
      after = consented[consented.length - 1].id;
    }
    this.logger.log(`reconciliation: pulls since ${since} requested for ${participants} participant(s)`);
    return participants;
  }

  /** Queues pulls again for requests that have waited too long. */
  async requeueStaleRequests(): Promise<number> {
    const rows = await this.em.fork().execute<{ participant_id: string; kind: keyof typeof MEASUREMENT_KINDS; lane: PullLane }[]>(
      `select "participant_id", "kind", ${LEDGER_LANE} as lane
         from "sync_ledger" where "pending_since" < now() - make_interval(mins => ?) order by "pending_since" limit ?`,
      [STALE_REQUEST_MINUTES, CHUNK],
    );
    await this.jobs.enqueuePulls(rows.map((row) => ({ participantId: row.participant_id, kind: row.kind, lane: row.lane })));
    return rows.length;
  }

  async pruneInbox(): Promise<void> {
    await this.em
      .fork()
      .execute(`delete from "sync_notification" where "dispatched_at" < now() - make_interval(days => ?)`, [INBOX_RETENTION_DAYS]);
    await this.em
      .fork()
      .execute(`delete from "sync_unrecognised_notification" where "received_at" < now() - make_interval(days => ?)`, [
        INBOX_RETENTION_DAYS,
      ]);
    // Raw measurement pages: SYNC_RAW_PAGE_RETENTION_DAYS (0 keeps none, so everything left goes).
    await this.em
      .fork()
      .execute(`delete from "sync_raw_page" where "fetched_at" < now() - make_interval(days => ?)`, [
        this.config.sync.rawPageRetentionDays,
      ]);
  }

  /** Claims a periodic task for this process if its interval has passed since any process last ran it (not on the very first check). */
  private async due(task: string, intervalMinutes: number): Promise<boolean> {
    const em = this.em.fork();
    await em.execute(`insert into "sync_periodic_run" ("task", "last_run_at") values (?, now()) on conflict do nothing`, [task]);
    const claimed = await em.execute<{ task: string }[]>(
      `update "sync_periodic_run" set "last_run_at" = now() where "task" = ? and "last_run_at" <= now() - make_interval(mins => ?) returning "task"`,
      [task, intervalMinutes],
    );
    return claimed.length > 0;
  }
}
