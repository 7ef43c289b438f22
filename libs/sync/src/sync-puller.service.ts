import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { ConsentedParticipants } from '@opendsp/participants';
import { OmronConnections, USABLE_CONNECTION_STATES } from '@opendsp/tokens';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { OmronMeasurementClient } from './measurement-client.service.js';
import { normaliseResult } from './normalise.rules.js';
import { PullLedger } from './pull-ledger.service.js';
import { PulledPageWriter, type FetchedPage } from './pulled-page-writer.service.js';
import { PullSupersededError } from './sync.errors.js';
import type { PullLane } from './sync-jobs.service.js';

export type PullOutcome =
  | { status: 'completed'; pages: number; readings: number; changed: number }
  | { status: 'skipped'; reason: string }
  /** Stopped between pages (the process is shutting down); the cursor is kept for the next run. */
  | { status: 'interrupted' }
  /** A background pull's turn ended with pages left; the cursor is kept and the pull queued again behind the others. */
  | { status: 'yielded'; pages: number };

/**
 * Pages a background pull (a backfill, reconciliation) fetches per turn before it goes back in the queue behind
 * the others: backfills interleave across participants a few pages at a time, and a turn's job round trip
 * (a handful of statements) stays small beside its pages. When no other pull waits for a slot at the end of a
 * turn, the pull takes another turn at once, without that round trip.
 */
export const BACKGROUND_TURN_PAGES = 5;

/** zlib's gzip on libuv's thread pool, so compressing a page does not hold up the event loop. */
const gzip = promisify(gzipCallback);
/** zlib's fastest level (`zlib.constants.Z_BEST_SPEED`): raw pages are kept a few weeks and rarely read. */
const RAW_PAGE_GZIP_LEVEL = 1;

/**
 * Runs one pull: one participant, one kind, from the ledger's cursor until OMRON has no further page.
 *
 * - The window, agreed with the ledger by `PullLedger.begin` under a new token: the whole history for a backfill (or
 *   when nothing is stored yet); otherwise `since` one day before the local date of the newest stored reading (OMRON
 *   reads `since` as a date, and a reading's local date can be a day off its UTC date either way), or earlier if
 *   reconciliation asked for more.
 * - Each page is written in one transaction together with the ledger's cursor (`PulledPageWriter`), announced to
 *   change-feed readers by `lockChangeSequence` (writers do not wait for each other). A crash at any point leaves either the page and
 *   its cursor or neither: the next run resumes after the last committed page, re-reads at most one page, and
 *   the idempotent upsert makes that harmless.
 * - One page ahead: page n+1 is fetched (and normalised) while page n is written, so the upstream and the
 *   database work at once. The page ahead never touches the ledger; if the pull stops or fails first, it is dropped.
 * - A pull owns the ledger row through a token; if a worker presumed dead comes back, its next page fails
 *   to commit (its token is gone) and it stops.
 */
@Injectable()
export class SyncPuller {
  private readonly logger = new Logger(SyncPuller.name);

  constructor(
    private readonly em: EntityManager,
    private readonly client: OmronMeasurementClient,
    private readonly ledger: PullLedger,
    private readonly pageWriter: PulledPageWriter,
    private readonly config: DspConfig,
    private readonly participants: ConsentedParticipants,
    private readonly connections: OmronConnections,
  ) {}

  /**
   * `lane`: the queue's lane of the job. A pull of the whole history runs in the background lane whoever asked
   * for it: within the background budget, BACKGROUND_TURN_PAGES pages per turn.
   */
  async pull(
    participantId: string,
    kind: MeasurementKind,
    options: { signal?: AbortSignal; shouldStop?: () => boolean; othersWaiting?: () => Promise<boolean>; lane?: PullLane } = {},
  ): Promise<PullOutcome> {
    const target = await this.target(participantId, kind);
    if ('skip' in target) {
      await this.settleSkipped(participantId, kind, target.skip, target.problem);
      return { status: 'skipped', reason: target.skip };
    }
    const plan = await this.ledger.begin(participantId, kind);
    const lane: PullLane = options.lane === 'background' || plan.since === null ? 'background' : 'fresh';
    // Pages this run may write before its turn ends (background pulls only).
    let turn = lane === 'background' ? BACKGROUND_TURN_PAGES : Infinity;
    const type = MEASUREMENT_KINDS[kind].upstreamType;
    const { cursor } = plan;
    // Keys this pull has followed: one coming back, or a key on an empty page, ends the pull (OMRON has nothing
    // new to give), with a note in the ledger instead of a failure that would end as a dead letter.
    const followed = new Set<string>(cursor === null ? [] : [cursor]);
    let note: string | null = null;
    let pages = 0;
    let readings = 0;
    let changed = 0;
    // One page ahead: page n+1 is fetched, normalised and compressed while page n is written. Only a written page
    // moves the cursor, so the page ahead is simply asked for again if the pull stops or fails before writing it.
    const ahead = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, ahead.signal]) : ahead.signal;
    // The page being fetched and not yet taken up by the loop: dropped if the pull ends first.
    let pending: Promise<FetchedPage> | null = null;
    try {
      if (options.shouldStop?.()) return { status: 'interrupted' };
      let next = this.fetch(target.connectionId, kind, plan.since, cursor, signal, lane);
      pending = next;
      for (;;) {
        const page = await next;
        pending = null;
        const { rows } = page;
        let nextKey = page.nextKey;
        if (nextKey !== null && followed.has(nextKey)) {
          note = `OMRON's ${type} pagination key ${nextKey} came back; the pull ended there`;
          nextKey = null;
        } else if (nextKey !== null && rows.length === 0) {
          note = `OMRON sent a ${type} pagination key on an empty page; the pull ended there`;
          nextKey = null;
        }
        // The turn's last page fetches nothing ahead: the next turn asks for it, and a page fetched for nobody would
        // waste the upstream budget. With no other pull waiting for a slot, there is nobody to give the turn to: the
        // pull goes on (fetching ahead as before) and asks again at the end of the next turn. Ending the turn
        // anyway cost a job round trip and the pull's `begin`, with nothing fetched ahead (docs/sync.md).
        let lastOfTurn = pages + 1 >= turn;
        if (lastOfTurn && nextKey !== null && options.othersWaiting && !(await options.othersWaiting())) {
          turn += BACKGROUND_TURN_PAGES;
          lastOfTurn = false;
        }
        if (nextKey !== null && !lastOfTurn) {
          followed.add(nextKey);
          next = this.fetch(target.connectionId, kind, plan.since, nextKey, signal, lane);
          // Its failure is seen when it is awaited, after this page is written; until then it must not count as unhandled.
          next.catch(() => undefined);
          pending = next;
        }
        changed += await this.pageWriter.write(participantId, kind, plan.token, page, nextKey, lane);
        pages++;
        readings += rows.length;
        if (nextKey === null) break;
        if (lastOfTurn) return { status: 'yielded', pages };
        if (options.shouldStop?.()) return { status: 'interrupted' };
      }
    } finally {
      // A page still on its way when the pull stops or fails is dropped; nothing of it was written.
      if (pending) {
        ahead.abort(new PullSupersededError(`the ${kind} pull of ${participantId} ended before this page was needed`));
        await pending.catch(() => undefined);
      }
    }
    if (note) this.logger.warn(`${kind} pull of ${participantId}: ${note}`);
    await this.ledger.finish(participantId, kind, plan.token, note);
    return { status: 'completed', pages, readings, changed };
  }

  /** Fetches one page, then normalises it and compresses it for `sync_raw_page`, off the writer's path. */
  private async fetch(
    connectionId: string,
    kind: MeasurementKind,
    since: string | null,
    cursor: string | null,
    signal: AbortSignal,
    lane: PullLane,
  ): Promise<FetchedPage> {
    const type = MEASUREMENT_KINDS[kind].upstreamType;
    const page = await this.client.fetchPage(connectionId, { type, since, paginationKey: cursor }, signal, lane);
    const rows = normaliseResult(kind, page.result);
    // The answer as received, so a parser fix can be applied later without calling OMRON (RawPageReplay).
    // gzip's fastest level: for a page of 1,000 readings, 3–5 ms instead of 9–10 ms at the default level, ~18 % larger.
    const raw =
      rows.length > 0 && this.config.sync.rawPageRetentionDays > 0
        ? await gzip(JSON.stringify(page.result), { level: RAW_PAGE_GZIP_LEVEL })
        : null;
    return { rows, nextKey: page.nextKey, raw };
  }

  /**
   * Notes a failed run in the ledger. The pull stays where it is (its cursor), for a retry to resume; with
   * `release`, no retry follows (nothing to retry until something changes), so nobody owns it any more.
   */
  async recordFailure(participantId: string, kind: MeasurementKind, error: Error, options: { release?: boolean } = {}): Promise<void> {
    await this.em.fork().execute(
      `update "sync_ledger" set "last_error" = ?, "last_error_at" = now(), "consecutive_failures" = "consecutive_failures" + 1,
           "pull_token" = case when ? then null else "pull_token" end, "in_flight_since" = case when ? then null else "in_flight_since" end,
           "updated_at" = now()
         where "participant_id" = ? and "kind" = ?`,
      [describe(error), options.release ?? false, options.release ?? false, participantId, kind],
    );
  }

  /**
   * Notes that the pull waits for OMRON to be callable again (a long Retry-After, the circuit breaker open). Not a
   * failure: `last_error` keeps the real reason of the last one, and the deferral has columns of its own.
   */
  async recordDeferral(participantId: string, kind: MeasurementKind, until: Date, reason: string): Promise<void> {
    await this.em
      .fork()
      .execute(
        `update "sync_ledger" set "deferred_until" = ?, "deferred_reason" = ?, "updated_at" = now() where "participant_id" = ? and "kind" = ?`,
        [until, reason.slice(0, 1000), participantId, kind],
      );
  }

  /** Who to pull for, or why not: no consented group, no usable OMRON connection, or the kind not granted. */
  private async target(
    participantId: string,
    kind: MeasurementKind,
  ): Promise<{ connectionId: string } | { skip: string; problem: boolean }> {
    const em = this.em.fork();
    const participant = await this.participants.find(em, participantId);
    if (!participant) return { skip: 'the participant no longer exists', problem: false };
    if (!participant.consented) return { skip: 'the participant has no consented group', problem: false };
    const connection = participant.omronUserId ? await this.connections.ofUser(em, participant.omronUserId) : null;
    if (!connection) return { skip: 'no OMRON connection is stored', problem: true };
    if (!USABLE_CONNECTION_STATES.includes(connection.state)) return { skip: `the OMRON connection is ${connection.state}`, problem: true };
    const type = MEASUREMENT_KINDS[kind].upstreamType;
    if (!connection.scopes.split(/\s+/).includes(type)) return { skip: `the participant did not grant ${type}`, problem: false };
    return { connectionId: connection.id };
  }

  private async settleSkipped(participantId: string, kind: MeasurementKind, reason: string, problem: boolean): Promise<void> {
    await this.em.fork().execute(
      `update "sync_ledger" set "requested_full" = false, "requested_since" = null, "pending_since" = null, "in_flight_since" = null, "pull_token" = null,
         "last_error" = case when ? then ? else "last_error" end, "last_error_at" = case when ? then now() else "last_error_at" end, "updated_at" = now()
       where "participant_id" = ? and "kind" = ?`,
      [problem, `not pulled: ${reason}`, problem, participantId, kind],
    );
    this.logger.log(`${kind} pull of ${participantId} skipped: ${reason}`);
  }
}

/** An error as the ledger shows it: its name and message, never a stack (or anything from a request). */
export function describe(error: Error): string {
  return `${error.name}: ${error.message}`.slice(0, 1000);
}
