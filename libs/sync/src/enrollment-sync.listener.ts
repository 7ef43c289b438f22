import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EnrollmentEvents } from '@opendsp/participants';
import { SyncScheduling } from './sync-scheduling.service.js';

/**
 * Starts data flowing when enrollment changes: a full backfill after consent, and a catch-up pull when a
 * broken connection works again. Withdrawal needs nothing here: pulls check consent before every page.
 * If a request is lost (the process dies between commit and listener), reconciliation catches up.
 */
@Injectable()
export class EnrollmentSyncListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EnrollmentSyncListener.name);
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly events: EnrollmentEvents,
    private readonly scheduling: SyncScheduling,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.events.onConsentAccepted(async (event) => {
        const kinds = await this.scheduling.requestBackfill(event.participantId);
        this.logger.log({ participantId: event.participantId, kinds }, 'backfill requested after consent');
      }),
      this.events.onConnectionRestored((event) => this.scheduling.syncNow(event.participantId)),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }
}
