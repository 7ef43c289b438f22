import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** One notification as OMRON sends it (`{id, timestamp, type}`), validated. */
export interface InboxNotification {
  omronUserId: string;
  type: string;
  notifiedAt: Date;
}

export type InboxOutcome = 'recorded' | 'duplicate' | 'pending' | 'unknown-user';

/** The durable inbox of notifications (table `sync_notification`). */
@Injectable()
export class NotificationInbox {
  constructor(private readonly em: EntityManager) {}

  /**
   * Records a notification about a known participant. A duplicate (OMRON retried, or sent the same
   * notification twice) meets the unique key and changes nothing; one about a user the platform does not know
   * is not stored at all; and while a notification for the same user and type waits to be dispatched, another
   * adds nothing ('pending'): the waiting one already asks for the pull that will fetch everything new. So a
   * flood for one user and type, whatever timestamps it carries, holds at most one waiting row and costs at
   * most one pending pull. The advisory lock (per user and type, for this transaction) makes "is one waiting?"
   * and the insert one step for concurrent receivers.
   */
  async record(notification: InboxNotification): Promise<InboxOutcome> {
    const { omronUserId, type } = notification;
    return this.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 16))`, [`sync_notification:${omronUserId}:${type}`]);
      const [row] = await em.execute<{ stored: boolean; known: boolean; pending: boolean }[]>(
        `with known as (select "id" from "participant" where "omron_user_id" = ?),
              pending as (
                select 1 from "sync_notification"
                where "omron_user_id" = ? and "type" = ? and "dispatched_at" is null limit 1),
              stored as (
                insert into "sync_notification" ("omron_user_id", "type", "notified_at", "participant_id")
                select ?, ?, ?, "id" from known where not exists (select 1 from pending)
                on conflict ("omron_user_id", "type", "notified_at") do nothing
                returning "id")
         select exists (select 1 from stored) as stored, exists (select 1 from known) as known,
                exists (select 1 from pending) as pending`,
        [omronUserId, omronUserId, type, omronUserId, type, notification.notifiedAt.toISOString()],
      );
      return row.stored ? 'recorded' : !row.known ? 'unknown-user' : row.pending ? 'pending' : 'duplicate';
    });
  }
}
