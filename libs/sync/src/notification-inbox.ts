import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OMRON_MEASUREMENT_TYPES } from '@opendsp/omron-api';
import type { ReadNotification } from './notification-reader.js';

/** The longest raw body kept with an inbox row or an unrecognised notification. */
export const NOTIFICATION_RAW_BODY_MAX = 4096;

export type InboxOutcome = 'recorded' | 'duplicate' | 'unknown-user';

/** The durable inbox of notifications (tables `sync_notification`, `sync_unrecognised_notification`). */
@Injectable()
export class NotificationInbox {
  constructor(private readonly em: EntityManager) {}

  /**
   * Records a notification about a known participant, in one statement. The user is found by their OMRON user ID
   * or by the `custom:userId` their connection keeps; a notification without a type stands for every kind the
   * connection grants; one without a time takes the time of receipt. A duplicate (OMRON retried, or sent the same
   * notification twice) meets the unique key and changes nothing; one about a user the platform does not know is
   * not stored at all.
   */
  async record(notification: ReadNotification, rawBody: string | null): Promise<InboxOutcome> {
    const rows = await this.em.fork().execute<{ stored: number; known: boolean }[]>(
      `with known as (
              select p."id", p."omron_user_id", c."scopes" from "participant" p
              left join "omron_connection" c on c."omron_user_id" = p."omron_user_id"
              where p."omron_user_id" = ?
                 or p."omron_user_id" = (select "omron_user_id" from "omron_connection" where "custom_user_id" = ? limit 1)
              limit 1),
            kinds as (
              select t from known, unnest(case when ?::text is null then string_to_array(coalesce(known."scopes", ''), ' ')
                                               else array[?::text] end) as t
              where t = any(?::text[])),
            stored as (
              insert into "sync_notification" ("omron_user_id", "type", "notified_at", "participant_id", "raw_body")
              select known."omron_user_id", kinds.t, coalesce(?::timestamptz, now()), known."id", ? from known, kinds
              on conflict ("omron_user_id", "type", "notified_at") do nothing
              returning "id")
       select (select count(*) from stored)::int as stored, exists (select 1 from known) as known`,
      [
        notification.userId,
        notification.userId,
        notification.type,
        notification.type,
        // A Postgres array literal: the driver would spread a JS array into a list.
        `{${notification.type ?? [...OMRON_MEASUREMENT_TYPES, 'ecg'].join(',')}}`,
        notification.notifiedAt?.toISOString() ?? null,
        rawBody === null ? null : rawBody.slice(0, NOTIFICATION_RAW_BODY_MAX),
      ],
    );
    const [row] = rows;
    return row.stored > 0 ? 'recorded' : row.known ? 'duplicate' : 'unknown-user';
  }

  /** Keeps a body that could not be mapped, with the reason. */
  async recordUnrecognised(rawBody: string, reason: string): Promise<void> {
    await this.em
      .fork()
      .execute(`insert into "sync_unrecognised_notification" ("raw_body", "reason") values (?, ?)`, [
        rawBody.slice(0, NOTIFICATION_RAW_BODY_MAX),
        reason.slice(0, 200),
      ]);
  }
}
