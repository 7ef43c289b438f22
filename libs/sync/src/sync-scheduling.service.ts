import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { fromKysely, type KyselyTransactionLike } from 'pg-boss';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { ConsentedParticipants } from '@opendsp/participants';
import { OmronConnections } from '@opendsp/tokens';
import { SyncJobs, type PullLane, type QueuedPull } from './sync-jobs.service.js';

/**
 * A notification's own timestamp is the sender's word. One further than this from now is kept in the inbox
 * (and still asks for a pull) but never becomes the ledger's "last notification", so nobody can pin the
 * displayed time at the year 2199.
 */
const PLAUSIBLE_NOTIFICATION_PAST = '30 days';
const PLAUSIBLE_NOTIFICATION_FUTURE = '10 minutes';

/**
 * The lane a ledger row's wanted pull belongs in, as SQL over `sync_ledger`: background when it wants or continues a
 * whole history (a backfill) or a reconciliation window, fresh otherwise.
 */
export const LEDGER_LANE = `case when "requested_full" or "requested_since" is not null or ("pull_started_at" is not null and "pull_since" is null)
  then 'background' else 'fresh' end`;

/** A request for a participant's readings of one kind to be pulled. */
export interface PullRequest {
  participantId: string;
  kind: MeasurementKind;
  /** The whole history (backfill). */
  full?: boolean;
  /** At least from this local date, `YYYY-MM-DD` (reconciliation). Without either: incrementally. */
  since?: string;
  /** The notification that asked for it. */
  notifiedAt?: Date;
}

/** The measurement kinds whose upstream type is among space-delimited OMRON scopes. */
export function kindsInScopes(scopes: string): MeasurementKind[] {
  const granted = new Set(scopes.split(/\s+/));
  return MEASUREMENT_KIND_NAMES.filter((kind) => granted.has(MEASUREMENT_KINDS[kind].upstreamType));
}

/**
 * Asks for pulls. Each request is first written to the participant's sync ledger (what is wanted, since
 * when it waits), then a pull job is queued; pulls of the same participant and kind coalesce in the queue,
 * and the pull that runs takes over everything the ledger asks for at that moment. So no request is lost to
 * coalescing, and a backfill asked while an incremental pull waits still pulls the whole history.
 *
 * Other modules use {@link requestBackfill} (the consent flow, after a participant consented and their
 * OMRON connection is stored) and {@link syncNow} (the portal and the API).
 */
@Injectable()
export class SyncScheduling {
  private readonly logger = new Logger(SyncScheduling.name);

  constructor(
    private readonly em: EntityManager,
    private readonly jobs: SyncJobs,
    private readonly participants: ConsentedParticipants,
    private readonly connections: OmronConnections,
  ) {}

  /**
   * Queues a pull of the participant's whole history, of every kind their OMRON connection grants. Safe to
   * call again (a re-consent); returns the kinds asked for (none without a stored connection).
   */
  async requestBackfill(participantId: string): Promise<MeasurementKind[]> {
    const kinds = await this.grantedKinds(participantId);
    await this.requestPulls(kinds.map((kind) => ({ participantId, kind, full: true })));
    return kinds;
  }

  /** Queues an incremental pull now, of one kind or of every granted kind; returns the kinds asked for. */
  async syncNow(participantId: string, kind?: MeasurementKind): Promise<MeasurementKind[]> {
    const granted = await this.grantedKinds(participantId);
    const kinds = kind ? granted.filter((candidate) => candidate === kind) : granted;
    await this.requestPulls(kinds.map((chosen) => ({ participantId, kind: chosen })));
    return kinds;
  }

  /**
   * Records the requests in the ledger (one statement) and queues their pulls. With `em` in a transaction,
   * both are written through it (the portal records its audit row in the same transaction).
   */
  async requestPulls(requests: readonly PullRequest[], em?: EntityManager): Promise<void> {
    if (requests.length === 0) return;
    const merged = mergeRequests(requests);
    const ledger = await (em ?? this.em.fork()).execute<{ participant_id: string; kind: string; whole: boolean }[]>(
      `insert into "sync_ledger" as l ("participant_id", "kind", "requested_full", "requested_since", "pending_since", "last_requested_at", "last_notification_at", "updated_at")
       select i."participant_id", i."kind", coalesce(i."want_full", false), i."since", now(), now(),
              case when i."notified_at" between now() - interval '${PLAUSIBLE_NOTIFICATION_PAST}' and now() + interval '${PLAUSIBLE_NOTIFICATION_FUTURE}'
                   then i."notified_at" end,
              now()
       from jsonb_to_recordset(?::jsonb) as i("participant_id" uuid, "kind" text, "want_full" boolean, "since" text, "notified_at" timestamptz)
       on conflict ("participant_id", "kind") do update set
         "requested_full" = l."requested_full" or excluded."requested_full",
         "requested_since" = least(l."requested_since", excluded."requested_since"),
         "pending_since" = coalesce(l."pending_since", excluded."pending_since"),
         "last_requested_at" = excluded."last_requested_at",
         "last_notification_at" = greatest(l."last_notification_at", excluded."last_notification_at"),
         "updated_at" = now()
       returning "participant_id", "kind", "requested_full" or ("pull_started_at" is not null and "pull_since" is null) as whole`,
      [
        JSON.stringify(
          merged.map((request) => ({
            participant_id: request.participantId,
            kind: request.kind,
            want_full: request.full ?? false,
            since: request.since ?? null,
            notified_at: request.notifiedAt?.toISOString() ?? null,
          })),
        ),
      ],
    );
    const transaction = em?.getTransactionContext<KyselyTransactionLike>();
    // A notification or "sync now" runs in the fresh lane, unless what it asks for is served by a whole history
    // (a backfill wanted or under way for that participant and kind): that runs in the background lane, turn by turn.
    const whole = new Set(ledger.filter((row) => row.whole).map((row) => `${row.participant_id}:${row.kind}`));
    const pulls: QueuedPull[] = merged.map((request) => ({
      participantId: request.participantId,
      kind: request.kind,
      lane: laneOf(request, whole.has(`${request.participantId}:${request.kind}`)),
    }));
    await this.jobs.enqueuePulls(pulls, transaction ? { db: fromKysely(transaction) } : {});
    this.logger.debug(`${merged.length} pull request(s) queued`);
  }

  /** The kinds the participant's OMRON connection grants (none without a stored connection). */
  async grantedKinds(participantId: string, em: EntityManager = this.em.fork()): Promise<MeasurementKind[]> {
    const omronUserId = (await this.participants.find(em, participantId))?.omronUserId;
    const connection = omronUserId ? await this.connections.ofUser(em, omronUserId) : null;
    return connection?.scopes ? kindsInScopes(connection.scopes) : [];
  }
}

function laneOf(request: PullRequest, wholeHistory: boolean): PullLane {
  if (wholeHistory || request.full) return 'background';
  // Reconciliation asks for a window; a notification folded into the same request still makes it fresh.
  return request.since && !request.notifiedAt ? 'background' : 'fresh';
}

/** One request per participant and kind (ON CONFLICT cannot touch a row twice in one statement), the widest window kept. */
function mergeRequests(requests: readonly PullRequest[]): PullRequest[] {
  const merged = new Map<string, PullRequest>();
  for (const request of requests) {
    const key = `${request.participantId}:${request.kind}`;
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { ...request });
      continue;
    }
    seen.full = seen.full || request.full;
    if (request.since && (!seen.since || request.since < seen.since)) seen.since = request.since;
    if (request.notifiedAt && (!seen.notifiedAt || request.notifiedAt > seen.notifiedAt)) seen.notifiedAt = request.notifiedAt;
  }
  return [...merged.values()];
}
