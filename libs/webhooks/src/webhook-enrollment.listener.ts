import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EnrollmentEvents } from '@opendsp/participants';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';

/**
 * Turns the participants room's enrollment events into `participant.consented` and `participant.withdrawn`
 * webhooks. The events come after the owner's commit, in the process that made the change; the deliveries
 * written here are durable from then on.
 */
@Injectable()
export class WebhookEnrollmentListener implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly events: EnrollmentEvents,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.events.onConsentAccepted((event) =>
        this.dispatcher.emit('participant.consented', event.groupId, {
          ogsc_id: event.ogscId,
          group_id: event.groupId,
          scopes: event.scopes,
          consented_at: event.at.toISOString(),
        }),
      ),
      this.events.onWithdrawn((event) =>
        this.dispatcher.emit('participant.withdrawn', event.groupId, {
          ogsc_id: event.ogscId,
          group_id: event.groupId,
          by: event.by.startsWith('admin:') ? 'admin' : 'participant',
          readings_deleted: event.readingsDeleted,
          withdrawn_at: event.at.toISOString(),
        }),
      ),
    );
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }
}
