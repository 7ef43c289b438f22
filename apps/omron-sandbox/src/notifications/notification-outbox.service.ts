import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MeasurementType } from '@opendsp/omron-api';
import { SandboxGrants, type AppGrant } from '../oauth/index.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { Notification } from './notification.entity.js';
import { NotificationDispatcher } from './notification-dispatcher.js';

/** Queues "new readings" notifications for every app a user authorised. */
@Injectable()
export class NotificationOutbox {
  private readonly logger = new Logger(NotificationOutbox.name);

  constructor(
    private readonly grants: SandboxGrants,
    private readonly dispatcher: NotificationDispatcher,
  ) {}

  /**
   * The apps to notify about a user's new readings. Read before the caller's transaction opens: the
   * lookup uses a connection of its own, which must not wait on that transaction (the embedded
   * database runs one transaction at a time).
   */
  recipients(userId: string): Promise<AppGrant[]> {
    return this.grants.activeGrantsForUser(userId);
  }

  /**
   * Adds one notification per recipient with a Notification URI and per type it may read, in the
   * caller's transaction (so readings and their notifications commit together). Call
   * {@link deliverSoon} after the commit.
   */
  async enqueue(
    em: EntityManager,
    user: { id: string; sub: string },
    recipients: AppGrant[],
    types: MeasurementType[],
    at: Date,
  ): Promise<number> {
    if (types.length === 0) return 0;
    let queued = 0;
    for (const grant of recipients) {
      if (!grant.notificationUri) continue;
      for (const type of types.filter((candidate) => grant.scopes.includes(candidate))) {
        em.persist(
          em.create(Notification, {
            clientId: grant.clientId,
            user: em.getReference(SandboxUser, user.id),
            uri: grant.notificationUri,
            payload: { id: user.sub, timestamp: at.getTime(), type },
            nextAttemptAt: at,
          }),
        );
        queued++;
      }
    }
    await em.flush();
    if (queued > 0) this.logger.log({ userId: user.id, types, queued }, 'notifications queued');
    return queued;
  }

  /** Wakes the dispatcher instead of waiting for its next poll. */
  deliverSoon(): void {
    this.dispatcher.runSoon();
  }
}
