import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '@opendsp/audit';
import type { MeasurementKind } from '@opendsp/measurements';

/**
 * What the portal's data views read from (and ask of) the sync machinery: pg-boss queues, the sync ledger,
 * dead letters, the notification inbox and the upstream rate-limit and circuit state. The views depend on
 * this interface only; the sync module provides the real implementation under `SYNC_STATUS`. Until it
 * does, `SyncStatusNotAvailable` answers and the pages say that sync status is not available here.
 */
export const SYNC_STATUS = Symbol('SYNC_STATUS');

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
    /** `closed`: calls flow; `open`: calls are held back after repeated failures; `half_open`: a trial call is allowed. */
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
}

export interface SyncLedgerEntry {
  kind: MeasurementKind;
  /** The last successful pull of this kind for the participant. */
  lastSyncedAt: Date | null;
  lastOutcome: 'ok' | 'failed' | 'never';
  lastError: string | null;
  readingsStored: number;
  nextRunAt: Date | null;
}

export type SyncRequestOutcome = 'queued' | 'already_queued' | 'not_connected' | 'not_available';
export type DeadLetterRetryOutcome = 'retried' | 'not_found' | 'not_available';

export interface SyncStatusReader {
  /** Overall figures within the scope; null when not available. */
  overview(scope: SyncScope): Promise<SyncOverview | null>;
  /** Figures per group (keyed by internal group ID); null when not available. */
  groupFigures(groupIds: string[]): Promise<Map<string, SyncGroupFigures> | null>;
  /** Jobs queued or running, oldest first. */
  jobsInFlight(scope: SyncScope, limit: number): Promise<SyncJobRow[] | null>;
  /** Failures of the last 24 hours that will be retried, newest first. */
  recentFailures(scope: SyncScope, limit: number): Promise<SyncFailureRow[] | null>;
  /** Jobs that used up their retries, newest first. */
  deadLetters(scope: SyncScope, limit: number): Promise<SyncFailureRow[] | null>;
  /** The sync ledger of one participant, one entry per kind. */
  ledger(participantId: string): Promise<SyncLedgerEntry[] | null>;
  /**
   * Queues a pull for a participant now (all granted kinds when `kind` is null). Write through `em`: the
   * caller records the audit event in the same transaction, so the request and its audit row commit together.
   */
  requestSync(em: EntityManager, participantId: string, kind: MeasurementKind | null, actor: AuditActor): Promise<SyncRequestOutcome>;
  /** Sends a dead letter back to its queue, if it is in scope; the same transaction rule as `requestSync`. */
  retryDeadLetter(em: EntityManager, scope: SyncScope, id: string, actor: AuditActor): Promise<DeadLetterRetryOutcome>;
}

/** The stand-in until the sync module provides `SYNC_STATUS`: everything is "not available", nothing changes. */
@Injectable()
export class SyncStatusNotAvailable implements SyncStatusReader {
  async overview(): Promise<null> {
    return null;
  }
  async groupFigures(): Promise<null> {
    return null;
  }
  async jobsInFlight(): Promise<null> {
    return null;
  }
  async recentFailures(): Promise<null> {
    return null;
  }
  async deadLetters(): Promise<null> {
    return null;
  }
  async ledger(): Promise<null> {
    return null;
  }
  async requestSync(): Promise<SyncRequestOutcome> {
    return 'not_available';
  }
  async retryDeadLetter(): Promise<DeadLetterRetryOutcome> {
    return 'not_available';
  }
}
