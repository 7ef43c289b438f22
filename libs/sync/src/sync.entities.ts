import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { MeasurementKind } from '@opendsp/measurements';
import { Participant } from '@opendsp/participants';

/**
 * The notification inbox: one row per distinct notification OMRON sent to the Notification URI about a
 * known participant. The unique key (user, type, timestamp) makes OMRON's retries and duplicates harmless;
 * a worker turns undispatched rows into pull requests. Written and read with SQL (see NotificationInbox).
 */
@Entity({ tableName: 'sync_notification' })
@Unique({ name: 'sync_notification_key_unique', properties: ['omronUserId', 'type', 'notifiedAt'] })
@Index({ properties: ['dispatchedAt', 'id'] })
export class SyncNotification {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  /** The notification's `id`: OMRON's user id (`sub`). */
  @Property({ type: 'text' })
  omronUserId!: string;

  /** The notification's `type`, an upstream measurement type such as `bloodpressure`. */
  @Property({ type: 'text' })
  type!: string;

  /** The notification's `timestamp`. */
  @Property({ type: 'timestamptz' })
  notifiedAt!: Date;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  receivedAt!: Date & Opt;

  /** A dispatcher holds the row until then; after that another may take it (its process died). */
  @Property({ type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  /** When its pull was requested; null while waiting. */
  @Property({ type: 'timestamptz', nullable: true })
  dispatchedAt!: Date | null;

  /** The body as received (capped at NOTIFICATION_RAW_BODY_MAX characters): the notification shape is a guess. */
  @Property({ type: 'text', nullable: true })
  rawBody!: string | null;
}

/**
 * A measurement API answer as received (its `result`, gzip-compressed JSON), kept SYNC_RAW_PAGE_RETENTION_DAYS so
 * a parser fix can be applied to data already received without calling OMRON again (`RawPageReplay`). Written in
 * the transaction that stores the page's readings; deleted with them on withdrawal.
 */
@Entity({ tableName: 'sync_raw_page' })
@Index({ properties: ['participant', 'kind', 'id'] })
@Index({ properties: ['fetchedAt'] })
export class SyncRawPage {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  @Property({ type: 'text' })
  kind!: MeasurementKind;

  @Property({ type: 'blob', columnType: 'bytea' })
  body!: Buffer;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  fetchedAt!: Date & Opt;
}

/**
 * Notification bodies the tolerant reader could not map to a user (docs/sync.md): kept, counted on the sync page
 * and answered 2xx, never silently dropped. Pruned with the inbox.
 */
@Entity({ tableName: 'sync_unrecognised_notification' })
@Index({ properties: ['receivedAt'] })
export class SyncUnrecognisedNotification {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  /** Capped at NOTIFICATION_RAW_BODY_MAX characters. */
  @Property({ type: 'text' })
  rawBody!: string;

  /** Why it could not be mapped. */
  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  receivedAt!: Date & Opt;
}

/**
 * The sync ledger: where one participant's data of one kind stands. Pull requests (notifications,
 * backfill, reconciliation, "sync now") set the `requested…` and `pendingSince` columns; a pull takes them
 * over into its `pull…` columns, advances `pullCursor` in the same transaction as each page's readings, and
 * clears them when done. See docs/sync.md.
 */
@Entity({ tableName: 'sync_ledger' })
@Unique({ properties: ['participant', 'kind'] })
export class SyncLedgerEntry {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  @Property({ type: 'text' })
  kind!: MeasurementKind;

  /** Time of the newest notification for this participant and kind. */
  @Property({ type: 'timestamptz', nullable: true })
  lastNotificationAt!: Date | null;

  /** When a pull was last asked for, by anyone. */
  @Property({ type: 'timestamptz', nullable: true })
  lastRequestedAt!: Date | null;

  /** A pull of the whole history is wanted (backfill). */
  @Property({ type: 'boolean', default: false })
  requestedFull!: boolean & Opt;

  /** A pull from at least this local date (`YYYY-MM-DD`) is wanted (reconciliation). */
  @Property({ type: 'text', nullable: true })
  requestedSince!: string | null;

  /** The oldest request no pull has taken over yet; with `inFlightSince`, the ledger's lag. */
  @Property({ type: 'timestamptz', nullable: true })
  pendingSince!: Date | null;

  /** The oldest request the running pull serves. */
  @Property({ type: 'timestamptz', nullable: true })
  inFlightSince!: Date | null;

  /** Identifies the running pull; a page only commits while the ledger still names its pull. */
  @Property({ type: 'uuid', nullable: true })
  pullToken!: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  pullStartedAt!: Date | null;

  /** The running pull's `since` (`YYYY-MM-DD`), null for the whole history. */
  @Property({ type: 'text', nullable: true })
  pullSince!: string | null;

  /** The pagination key after the last committed page of the running pull (the cursor). */
  @Property({ type: 'bigint', nullable: true })
  pullCursor!: string | null;

  @Property({ type: 'integer', default: 0 })
  pullPages!: number & Opt;

  /** Readings the running pull received so far, and how many of them were new or changed. */
  @Property({ type: 'integer', default: 0 })
  pullReadings!: number & Opt;

  @Property({ type: 'integer', default: 0 })
  pullChanged!: number & Opt;

  @Property({ type: 'timestamptz', nullable: true })
  lastPullStartedAt!: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastPullSucceededAt!: Date | null;

  /** Readings the last successful pull received, and how many of them were new or changed. */
  @Property({ type: 'integer', nullable: true })
  lastPullReadings!: number | null;

  @Property({ type: 'integer', nullable: true })
  lastPullChanged!: number | null;

  @Property({ type: 'text', nullable: true })
  lastError!: string | null;

  /** Something worth knowing about the last successful pull that was not an error (e.g. a pagination key that repeated). */
  @Property({ type: 'text', nullable: true })
  lastNote!: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  lastErrorAt!: Date | null;

  @Property({ type: 'integer', default: 0 })
  consecutiveFailures!: number & Opt;

  /**
   * The queued pull may not call OMRON before then (a long Retry-After, the circuit breaker open): not a failure,
   * so kept apart from `lastError`, which still says what last went wrong. Cleared when a pull starts.
   */
  @Property({ type: 'timestamptz', nullable: true })
  deferredUntil!: Date | null;

  @Property({ type: 'text', nullable: true })
  deferredReason!: string | null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date & Opt;
}

/** A pull that failed after its last retry; listed in the portal until a later pull of the same kind succeeds. */
@Entity({ tableName: 'sync_dead_letter' })
@Index({ properties: ['resolvedAt', 'failedAt'] })
export class SyncDeadLetter {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant!: Rel<Participant>;

  @Property({ type: 'text' })
  kind!: MeasurementKind;

  /** The job's id in the queue; the same failure is never listed twice. */
  @Property({ type: 'text' })
  @Unique()
  jobId!: string;

  @Property({ type: 'text' })
  error!: string;

  @Property({ type: 'integer' })
  attempts!: number;

  @Property({ type: 'timestamptz' })
  failedAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}

/**
 * The state every process shares about one upstream endpoint: the next free request slot (the rate
 * budget), a Retry-After block, and the circuit breaker. One row per endpoint, updated with single statements.
 */
@Entity({ tableName: 'sync_upstream_state' })
export class SyncUpstreamState {
  @PrimaryKey({ type: 'text' })
  endpoint!: string;

  @Property({ type: 'timestamptz' })
  nextSlotAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  blockedUntil!: Date | null;

  @Property({ type: 'integer', default: 0 })
  consecutiveFailures!: number & Opt;

  @Property({ type: 'timestamptz', nullable: true })
  circuitOpenUntil!: Date | null;
}

/**
 * One failed request that counts toward the circuit breaker (5xx, timeout, dropped connection), with whose it
 * was (`subject`: the OMRON connection). The breaker opens only when recent failures span several subjects, so
 * one participant's trouble never stops everyone. Rows older than the window are deleted as new ones come.
 */
@Entity({ tableName: 'sync_upstream_failure' })
@Index({ properties: ['endpoint', 'failedAt'] })
export class SyncUpstreamFailure {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @Property({ type: 'text' })
  endpoint!: string;

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  failedAt!: Date & Opt;
}

/** When a periodic task last ran in any process, so several workers run it once per interval. */
@Entity({ tableName: 'sync_periodic_run' })
export class SyncPeriodicRun {
  @PrimaryKey({ type: 'text' })
  task!: string;

  @Property({ type: 'timestamptz' })
  lastRunAt!: Date;
}

export const SYNC_ENTITIES = [
  SyncNotification,
  SyncUnrecognisedNotification,
  SyncRawPage,
  SyncLedgerEntry,
  SyncDeadLetter,
  SyncUpstreamState,
  SyncUpstreamFailure,
  SyncPeriodicRun,
];
