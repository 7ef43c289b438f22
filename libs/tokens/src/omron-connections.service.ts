import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ConnectionState } from './omron-connection.entity.js';

/** What other rooms may know of a connection: never its tokens. */
export interface ConnectionSummary {
  id: string;
  omronUserId: string;
  state: ConnectionState;
  /** Space-delimited scopes granted. */
  scopes: string;
}

/** States in which a connection hands out access tokens. */
export const USABLE_CONNECTION_STATES: readonly ConnectionState[] = ['active', 'refreshing'];

/**
 * Read-only questions about OMRON connections, for other rooms (measurement sync): which connection an OMRON
 * user has, in what state, with which scopes. Each method runs on the entity manager it is given.
 */
@Injectable()
export class OmronConnections {
  /** The OMRON user's connection; null when none is stored. */
  async ofUser(em: EntityManager, omronUserId: string): Promise<ConnectionSummary | null> {
    const [row] = await em.execute<ConnectionSummary[]>(
      `select "id", "omron_user_id" as "omronUserId", "state", "scopes" from "omron_connection" where "omron_user_id" = ?`,
      [omronUserId],
    );
    return row ?? null;
  }

  /** The connection whose identity token carried this Cognito `custom:userId`; null when none did. */
  async ofCustomUser(em: EntityManager, customUserId: string): Promise<ConnectionSummary | null> {
    const [row] = await em.execute<ConnectionSummary[]>(
      `select "id", "omron_user_id" as "omronUserId", "state", "scopes" from "omron_connection" where "custom_user_id" = ? limit 1`,
      [customUserId],
    );
    return row ?? null;
  }

  /** The scopes of those users' connections that hand out tokens (active or refreshing), by OMRON user ID. */
  async usableScopes(em: EntityManager, omronUserIds: readonly string[]): Promise<Map<string, string>> {
    if (omronUserIds.length === 0) return new Map();
    const rows = await em.execute<{ omron_user_id: string; scopes: string }[]>(
      `select "omron_user_id", "scopes" from "omron_connection"
       where "omron_user_id" in (select jsonb_array_elements_text(?::jsonb)) and "state" in (select jsonb_array_elements_text(?::jsonb))`,
      [JSON.stringify(omronUserIds), JSON.stringify(USABLE_CONNECTION_STATES)],
    );
    return new Map(rows.map((row) => [row.omron_user_id, row.scopes]));
  }
}
