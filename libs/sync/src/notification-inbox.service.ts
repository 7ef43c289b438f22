import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OMRON_MEASUREMENT_TYPES } from '@opendsp/omron-api';
import { ConsentedParticipants } from '@opendsp/participants';
import { OmronConnections, type ConnectionSummary } from '@opendsp/tokens';
import type { ReadNotification } from './notification-reader.parser.js';

/** The longest raw body kept with an inbox row or an unrecognised notification. */
export const NOTIFICATION_RAW_BODY_MAX = 4096;

/** The Partner API's types the platform syncs (and the sandbox's `ecg`). */
const SYNCED_TYPES = new Set<string>([...OMRON_MEASUREMENT_TYPES, 'ecg']);

export type InboxOutcome = 'recorded' | 'duplicate' | 'pending' | 'unknown-user';

/** The durable inbox of notifications (tables `sync_notification`, `sync_unrecognised_notification`). */
@Injectable()
export class NotificationInbox {
  constructor(
    private readonly em: EntityManager,
    private readonly participants: ConsentedParticipants,
    private readonly connections: OmronConnections,
  ) {}

  /**
   * Records a notification about a known participant. The user is found by their OMRON user ID or by the
   * `custom:userId` their connection keeps; a notification without a type stands for every kind the connection
   * grants; one without a time takes the time of receipt.
   *
   * A duplicate (OMRON retried, or sent the same notification twice) meets the unique key and changes nothing;
   * one about a user the platform does not know is not stored at all; and while a notification for the same
   * user and type waits to be dispatched, another adds nothing ('pending'): the waiting one already asks for
   * the pull that will fetch everything new. So a flood for one user and type, whatever timestamps it carries,
   * holds at most one waiting row and costs at most one pending pull. The advisory lock (per user and type, for
   * this transaction, taken in type order) makes "is one waiting?" and the insert one step for concurrent
   * receivers.
   */
  async record(notification: ReadNotification, rawBody: string | null): Promise<InboxOutcome> {
    return this.em.fork().transactional(async (em) => {
      let known = await this.participants.withOmronUser(em, notification.userId);
      let connection: ConnectionSummary | null = null;
      if (!known) {
        connection = await this.connections.ofCustomUser(em, notification.userId);
        known = connection ? await this.participants.withOmronUser(em, connection.omronUserId) : null;
      }
      if (!known) return 'unknown-user';
      // Only a notification without a type needs the connection's scopes.
      if (!notification.type) connection ??= await this.connections.ofUser(em, known.omronUserId);
      const asked = notification.type ? [notification.type] : (connection?.scopes ?? '').split(' ');
      const types = [...new Set(asked.filter((type) => SYNCED_TYPES.has(type)))].sort();
      let stored = false;
      let pending = false;
      for (const type of types) {
        await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 16))`, [`sync_notification:${known.omronUserId}:${type}`]);
        const [row] = await em.execute<{ stored: boolean; pending: boolean }[]>(
          `with pending as (
                  select 1 from "sync_notification"
                  where "omron_user_id" = ? and "type" = ? and "dispatched_at" is null limit 1),
                stored as (
                  insert into "sync_notification" ("omron_user_id", "type", "notified_at", "participant_id", "raw_body")
                  select ?, ?, coalesce(?::timestamptz, now()), ?, ? where not exists (select 1 from pending)
                  on conflict ("omron_user_id", "type", "notified_at") do nothing
                  returning "id")
           select exists (select 1 from stored) as stored, exists (select 1 from pending) as pending`,
          [
            known.omronUserId,
            type,
            known.omronUserId,
            type,
            notification.notifiedAt?.toISOString() ?? null,
            known.id,
            rawBody === null ? null : rawBody.slice(0, NOTIFICATION_RAW_BODY_MAX),
          ],
        );
        stored ||= row.stored;
        pending ||= row.pending;
      }
      return stored ? 'recorded' : pending ? 'pending' : 'duplicate';
    });
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
