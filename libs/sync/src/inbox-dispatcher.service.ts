import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { SyncScheduling, type PullRequest } from './sync-scheduling.service.js';

const BATCH = 1000;
/** A claimed batch whose process died is taken again after this long. */
const CLAIM_SECONDS = 60;

interface ClaimedNotification {
  id: string;
  participant_id: string;
  type: string;
  notified_at: Date | string;
}

const KIND_BY_TYPE = new Map<string, MeasurementKind>(MEASUREMENT_KIND_NAMES.map((kind) => [MEASUREMENT_KINDS[kind].upstreamType, kind]));

/**
 * Turns inbox notifications into pull requests, in worker processes, every second. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED` (several workers never take the same batch) and marked dispatched only after
 * their pulls are queued: a crash in between queues them again, which the queue's coalescing absorbs.
 */
@Injectable()
export class InboxDispatcher {
  private readonly logger = new Logger(InboxDispatcher.name);
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly em: EntityManager,
    private readonly scheduling: SyncScheduling,
  ) {}

  @Interval('sync-inbox', 1000)
  tick(): void {
    this.runSoon();
  }

  /**
   * Starts a dispatch round now, or right after the one in progress. The receiver calls it when it runs in
   * this process, so a notification is queued at once; the tick covers notifications other processes received.
   */
  runSoon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.dispatchAll()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn(`inbox dispatch failed: ${(error as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.runSoon();
        }
      });
  }

  /** Dispatches every waiting notification; returns how many. */
  async dispatchAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.em.fork().execute<ClaimedNotification[]>(
        `update "sync_notification" set "claimed_until" = now() + make_interval(secs => ?)
         where "id" in (
           select "id" from "sync_notification"
           where "dispatched_at" is null and ("claimed_until" is null or "claimed_until" < now())
           order by "id" limit ? for update skip locked)
         returning "id"::text as id, "participant_id", "type", "notified_at"`,
        [CLAIM_SECONDS, BATCH],
      );
      if (claimed.length === 0) return total;
      const requests: PullRequest[] = [];
      for (const row of claimed) {
        const kind = KIND_BY_TYPE.get(row.type);
        if (kind) requests.push({ participantId: row.participant_id, kind, notifiedAt: new Date(row.notified_at) });
      }
      await this.scheduling.requestPulls(requests);
      await this.em
        .fork()
        .execute(
          `update "sync_notification" set "dispatched_at" = now() where "id" in (select value::bigint from jsonb_array_elements_text(?::jsonb))`,
          [JSON.stringify(claimed.map((row) => row.id))],
        );
      total += claimed.length;
    }
  }
}
