import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { MeasurementType } from '@opendsp/omron-api';
import { SandboxGrants, type AppGrant } from '../oauth/index.js';
import type { NotificationPayload } from './notification.entity.js';
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
   * caller's transaction on `client` (so readings and their notifications commit together). Call
   * {@link deliverSoon} after the commit.
   */
  async enqueue(
    client: PoolClient,
    user: { id: string; sub: string },
    recipients: AppGrant[],
    types: MeasurementType[],
    at: Date,
  ): Promise<number> {
    const rows: { id: string; client_id: string; uri: string; payload: NotificationPayload }[] = [];
    for (const grant of recipients) {
      if (!grant.notificationUri) continue;
      for (const type of types.filter((candidate) => grant.scopes.includes(candidate))) {
        rows.push({
          id: randomUUID(),
          client_id: grant.clientId,
          uri: grant.notificationUri,
          payload: { id: user.sub, timestamp: at.getTime(), type },
        });
      }
    }
    if (rows.length === 0) return 0;
    // The columns of the Notification entity; the readings' transaction runs on a plain connection.
    await client.query(
      `insert into "omron_sandbox"."notification" ("id", "client_id", "user_id", "uri", "payload", "attempts", "next_attempt_at", "created_at")
       select "id", "client_id", $2::uuid, "uri", "payload", 0, $3::timestamptz, $3::timestamptz
       from jsonb_to_recordset($1::jsonb) as t("id" uuid, "client_id" text, "uri" text, "payload" jsonb)`,
      [JSON.stringify(rows), user.id, at.toISOString()],
    );
    this.logger.log({ userId: user.id, types, queued: rows.length }, 'notifications queued');
    return rows.length;
  }

  /** Wakes the dispatcher instead of waiting for its next poll. */
  deliverSoon(): void {
    this.dispatcher.runSoon();
  }
}
