import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { EnrollmentChangesPort, type EnrollmentChange } from '@opendsp/participants';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';

/**
 * Turns consents and withdrawals into `participant.consented` and `participant.withdrawn` deliveries inside the
 * transaction that records them (participants' `EnrollmentChangesPort`): the deliveries commit, or roll back,
 * with the change, so a crash or restart can neither lose an event nor announce a change that did not happen.
 */
@Injectable()
export class WebhookEnrollmentListener implements OnModuleInit, OnModuleDestroy {
  private stop: (() => void) | null = null;

  constructor(
    private readonly changes: EnrollmentChangesPort,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  onModuleInit(): void {
    this.stop = this.changes.listen('webhooks', (em, change) => this.queue(em, change));
  }

  onModuleDestroy(): void {
    this.stop?.();
    this.stop = null;
  }

  private queue(em: EntityManager, change: EnrollmentChange): Promise<number> {
    if (change.kind === 'consented')
      return this.dispatcher.emitWithin(em, 'participant.consented', change.groupId, {
        ogsc_id: change.ogscId,
        group_id: change.groupId,
        scopes: change.scopes,
        consented_at: change.at.toISOString(),
      });
    return this.dispatcher.emitWithin(em, 'participant.withdrawn', change.groupId, {
      ogsc_id: change.ogscId,
      group_id: change.groupId,
      by: change.by.startsWith('admin:') ? 'admin' : 'participant',
      readings_deleted: change.readingsDeleted,
      withdrawn_at: change.at.toISOString(),
    });
  }
}
