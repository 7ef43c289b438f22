import { Injectable } from '@nestjs/common';
import type { MeasurementKind } from '@opendsp/measurements';

/** Where the sync of one kind of reading of one participant stands (issue 7's sync ledger). */
export interface SyncLedgerEntry {
  kind: MeasurementKind;
  lastNotificationAt: Date | null;
  lastSuccessfulPullAt: Date | null;
  /** The upstream pagination cursor or `since` the next pull starts from, as the sync stores it. */
  cursor: string | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Seconds between the last notification and the last successful pull after it; null when nothing is pending. */
  lagSeconds: number | null;
}

/** Reads a participant's sync ledger (by the participant's internal ID). The sync work provides the real reader. */
export interface SyncLedgerReaderPort {
  ledgerOf(participantId: string): Promise<SyncLedgerEntry[]>;
}

export const SYNC_LEDGER_READER = Symbol('SYNC_LEDGER_READER');

/** Stand-in until the sync ledger is merged: there is no ledger yet, so every participant's is empty. */
@Injectable()
export class EmptySyncLedgerReader implements SyncLedgerReaderPort {
  ledgerOf(): Promise<SyncLedgerEntry[]> {
    return Promise.resolve([]);
  }
}
