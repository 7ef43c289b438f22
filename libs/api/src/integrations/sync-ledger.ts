import { Injectable } from '@nestjs/common';
import type { MeasurementKind } from '@opendsp/measurements';
import { SyncLedger } from '@opendsp/sync';

/** Where the sync of one kind of reading of one participant stands (issue 7's sync ledger). */
export interface SyncLedgerEntry {
  kind: MeasurementKind;
  lastNotificationAt: Date | null;
  lastSuccessfulPullAt: Date | null;
  /** The upstream pagination cursor or `since` the next pull starts from, as the sync stores it. */
  cursor: string | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Seconds since the oldest sync request no successful pull has served yet; null when the data is up to date. */
  lagSeconds: number | null;
}

/** Reads a participant's sync ledger (by the participant's internal ID). */
export interface SyncLedgerReaderPort {
  ledgerOf(participantId: string): Promise<SyncLedgerEntry[]>;
}

export const SYNC_LEDGER_READER = Symbol('SYNC_LEDGER_READER');

/** The sync's own ledger (libs/sync), in the API's shape. */
@Injectable()
export class SyncLedgerAdapter implements SyncLedgerReaderPort {
  constructor(private readonly ledger: SyncLedger) {}

  async ledgerOf(participantId: string): Promise<SyncLedgerEntry[]> {
    const views = await this.ledger.forParticipant(participantId);
    return views.map((view) => ({
      kind: view.kind,
      lastNotificationAt: view.lastNotificationAt,
      lastSuccessfulPullAt: view.lastPullSucceededAt,
      cursor: view.pull?.cursor ?? view.pull?.since ?? null,
      lastError: view.lastError,
      lastErrorAt: view.lastErrorAt,
      lagSeconds: view.lagSeconds > 0 ? view.lagSeconds : null,
    }));
  }
}
