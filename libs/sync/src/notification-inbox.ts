import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** One notification as OMRON sends it (`{id, timestamp, type}`), validated. */
export interface InboxNotification {
  omronUserId: string;
  type: string;
  notifiedAt: Date;
}

export type InboxOutcome = 'recorded' | 'duplicate' | 'unknown-user';

/** The durable inbox of notifications (table `sync_notification`). */
@Injectable()
export class NotificationInbox {
  constructor(private readonly em: EntityManager) {}

  /**
   * Records a notification about a known participant, in one statement: a duplicate (OMRON retried, or sent
   * the same notification twice) meets the unique key and changes nothing; one about a user the platform
   * does not know is not stored at all.
   */
  async record(notification: InboxNotification): Promise<InboxOutcome> {
    const rows = await this.em.fork().execute<{ stored: boolean; known: boolean }[]>(
      `with known as (select "id" from "participant" where "omron_user_id" = ?),
            stored as (
              insert into "sync_notification" ("omron_user_id", "type", "notified_at", "participant_id")
              select ?, ?, ?, "id" from known
              on conflict ("omron_user_id", "type", "notified_at") do nothing
              returning "id")
       select exists (select 1 from stored) as stored, exists (select 1 from known) as known`,
      [notification.omronUserId, notification.omronUserId, notification.type, notification.notifiedAt.toISOString()],
    );
    const [row] = rows;
    return row.stored ? 'recorded' : row.known ? 'duplicate' : 'unknown-user';
  }
}
