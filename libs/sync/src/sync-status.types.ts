import type { MeasurementKind } from '@opendsp/measurements';

/** Which participants the reader may see: `null` for every group, else the internal IDs of the reader's groups. */
export interface SyncScope {
  groupIds: string[] | null;
}

export interface SyncOverview {
  /** Jobs waiting to run. */
  queueDepth: number;
  /** Jobs running now. */
  inFlight: number;
  /** Jobs that failed (and may be retried) in the last 24 hours. */
  failures24h: number;
  /** Jobs that used up their retries and wait for a person. */
  deadLetters: number;
  /** Seconds since the oldest request no pull has served yet (0 when every participant is up to date). */
  longestWaitSeconds: number;
  inbox: {
    /** Notifications received from OMRON in the last 24 hours. */
    received24h: number;
    /** Received and not yet turned into jobs. */
    pending: number;
    /** Repeats of a notification already received, dropped, in the last 24 hours; null when not counted. */
    duplicates24h: number | null;
    /** Bodies received in the last 24 hours that could not be mapped to a user (kept, answered 2xx). */
    unrecognised24h: number;
    oldestPendingAt: Date | null;
  };
  upstream: {
    /** The measurement API's request budget as last seen; null where not known. */
    rateLimit: { limit: number | null; remaining: number | null; resetsAt: Date | null; throttledUntil: Date | null };
    /**
     * `closed`: calls flow; `open`: calls are held back after failures across several participants; `half_open`:
     * calls go again, and one more failure before a success opens it again. `reason`: the failures that count now.
     */
    circuit: { state: 'closed' | 'open' | 'half_open'; since: Date | null; reason: string | null };
  };
  /** Scheduled work and when it runs next (e.g. the safety-net pull, the token refresh pass). */
  nextRuns: { name: string; at: Date }[];
}

/** Per-group sync figures for the dashboard's group table. */
export interface SyncGroupFigures {
  queueDepth: number;
  failures24h: number;
  deadLetters: number;
}

export interface SyncJobRow {
  id: string;
  /** The participant the job is for, when it is for one. */
  ogscId: string | null;
  kind: MeasurementKind | null;
  /** e.g. `pull`, `backfill`, `notification`. */
  name: string;
  state: 'queued' | 'active' | 'retry';
  attempts: number;
  startedAt: Date | null;
  createdAt: Date;
}

export interface SyncFailureRow {
  id: string;
  ogscId: string | null;
  kind: MeasurementKind | null;
  name: string;
  /** Why it failed, in words an admin can act on (no tokens, no personal data). */
  reason: string;
  attempts: number;
  failedAt: Date;
  /** When it will be tried again; null when it will not (a dead letter). */
  retryAt: Date | null;
  /** The pull waits for OMRON to be callable again (not a failure; `reason` is still the last failure's). */
  deferral: SyncDeferral | null;
}

/** A pull put off until OMRON may be called again: a long Retry-After, or the circuit breaker open. */
export interface SyncDeferral {
  until: Date;
  /** e.g. `OMRON is failing (circuit breaker open)`. */
  reason: string;
}

/**
 * Where the sync of one kind of one participant's readings stands: the sync ledger's row (`sync_ledger`),
 * the readings stored and the next pull queued. The portal's participant page and the API's participant
 * both show it.
 */
export interface SyncLedgerStatus {
  kind: MeasurementKind;
  /** false: no pull of this kind was ever asked for, so the ledger has no row and its fields below are empty. */
  inLedger: boolean;
  readingsStored: number;
  lastNotificationAt: Date | null;
  lastRequestedAt: Date | null;
  lastPullStartedAt: Date | null;
  lastPullSucceededAt: Date | null;
  /** Readings the last successful pull received, and how many were new or changed. */
  lastPullReadings: number | null;
  lastPullChanged: number | null;
  /** The pull in progress (possibly interrupted, waiting for its retry), with its cursor. */
  pull: { startedAt: Date; since: string | null; cursor: string | null; pages: number; readings: number } | null;
  /** `failed` while the latest attempt failed, `ok` after a success, `never` before the first pull. */
  lastOutcome: 'ok' | 'failed' | 'never';
  /** The real reason of the last failure; a later deferral never replaces it. */
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
  /** The next pull waits for OMRON to be callable again; null when it does not. */
  deferral: SyncDeferral | null;
  /** Seconds since the oldest request no successful pull has served yet; 0 when the data is up to date. */
  lagSeconds: number;
  /** When the queued pull of this kind may start (a retry's backoff); null when none waits. */
  nextRunAt: Date | null;
}

export type SyncRequestOutcome = 'queued' | 'already_queued' | 'not_connected';
export type DeadLetterRetryOutcome = 'retried' | 'not_found';
