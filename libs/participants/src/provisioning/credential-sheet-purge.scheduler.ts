import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { CredentialSheets } from './credential-sheets.service.js';

/** Deletes credential sheets nobody opened in time (worker processes); opening one deletes it anyway. */
@Injectable()
export class CredentialSheetPurgeScheduler {
  constructor(private readonly sheets: CredentialSheets) {}

  @Interval('credential-sheet-purge', 5 * 60_000)
  async purge(): Promise<void> {
    await this.sheets.purgeExpired();
  }
}
