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

/** A connection and its latest state changes, as the portal's participant page shows them. */
export interface ConnectionHistory {
  connection: ConnectionSummary & { stateChangedAt: Date; stateReason: string | null; lastRefreshedAt: Date | null };
  events: { id: string; fromState: ConnectionState | null; toState: ConnectionState; reason: string | null; occurredAt: Date }[];
}

/**
 * SQL for another room's statement that must read connections beside its own rows, where asking per row would
 * not scale (the participant list filters and orders 100,000 enrollments by connection state, and
 * test/data-views-scale.e2e-spec.ts checks its plans): a left join making `alias` the connection of the OMRON
 * user in `omronUserIdColumn`, all nulls when there is none. Columns others may read: `id`, `state`, `updated_at`.
 */
export function connectionJoinSql(omronUserIdColumn: string, alias = 'c'): string {
  return `left join omron_connection ${alias} on ${alias}.omron_user_id = ${omronUserIdColumn}`;
}

/** A connection's state as the portal and the REST API show it. */
export interface ConnectionStateView {
  omronUserId: string;
  state: ConnectionState;
  /** ISO 8601 UTC with milliseconds. */
  stateChangedAt: string;
  stateReason: string | null;
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
  /** The newest state change's ID ('0' when there is none): where a follower of `transitionsTo` starts. */
  async lastTransitionId(em: EntityManager): Promise<string> {
    const [row] = await em.execute<{ id: string }[]>(`select coalesce(max("id"), 0)::text as "id" from "omron_connection_event"`);
    return row.id;
  }

  /**
   * State changes into `state` (or any of the states) after the change `afterId`, oldest first (at most `limit`),
   * with their OMRON user and the state each went into.
   */
  transitionsTo(
    em: EntityManager,
    state: ConnectionState | readonly ConnectionState[],
    afterId: string,
    limit: number,
  ): Promise<{ id: string; omronUserId: string; toState: ConnectionState; reason: string | null; occurredAt: Date }[]> {
    const states = typeof state === 'string' ? [state] : state;
    return em.execute(
      `select e."id"::text as "id", c."omron_user_id" as "omronUserId", e."to_state" as "toState", e."reason", e."occurred_at" as "occurredAt"
         from "omron_connection_event" e join "omron_connection" c on c."id" = e."connection_id"
        where e."id" > ?::bigint and e."to_state" = any(?::text[]) order by e."id" limit ?`,
      [afterId, `{${states.join(',')}}`, limit],
    );
  }

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

  /** The connections of those OMRON users, with their state, when and why it last changed (users without one are left out). */
  async statesOf(em: EntityManager, omronUserIds: readonly string[]): Promise<ConnectionStateView[]> {
    if (omronUserIds.length === 0) return [];
    return em.execute<ConnectionStateView[]>(
      `select "omron_user_id" as "omronUserId", "state",
         to_char("state_changed_at" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "stateChangedAt",
         "state_reason" as "stateReason", "scopes"
       from "omron_connection" where "omron_user_id" in (select jsonb_array_elements_text(?::jsonb))`,
      [JSON.stringify(omronUserIds)],
    );
  }

  /**
   * The OMRON user's connection as the portal shows it (state, scopes, refresh; never its tokens) and its latest state
   * changes, newest first (at most `limit`), in one statement of plain rows; null: no connection.
   */
  async withHistory(em: EntityManager, omronUserId: string, limit: number): Promise<ConnectionHistory | null> {
    const [row] = await em.execute<
      {
        id: string;
        state: ConnectionState;
        scopes: string;
        state_changed_at: Date | string;
        state_reason: string | null;
        last_refreshed_at: Date | string | null;
        events: unknown;
      }[]
    >(
      `select c."id", c."state", c."scopes", c."state_changed_at", c."state_reason", c."last_refreshed_at",
         (select coalesce(json_agg(e order by e."occurred_at" desc, e."id"::bigint desc), '[]') from (
            select ev."id"::text as "id", ev."from_state", ev."to_state", ev."reason", ev."occurred_at" from "omron_connection_event" ev
             where ev."connection_id" = c."id" order by ev."occurred_at" desc, ev."id" desc limit ?) e) as "events"
       from "omron_connection" c where c."omron_user_id" = ?`,
      [limit, omronUserId],
    );
    if (!row) return null;
    const events = (typeof row.events === 'string' ? JSON.parse(row.events) : row.events) as {
      id: string;
      from_state: ConnectionState | null;
      to_state: ConnectionState;
      reason: string | null;
      occurred_at: string;
    }[];
    return {
      connection: {
        id: row.id,
        omronUserId,
        state: row.state,
        scopes: row.scopes,
        stateChangedAt: new Date(row.state_changed_at),
        stateReason: row.state_reason,
        lastRefreshedAt: row.last_refreshed_at === null ? null : new Date(row.last_refreshed_at),
      },
      events: events.map((event) => ({
        id: event.id,
        fromState: event.from_state,
        toState: event.to_state,
        reason: event.reason,
        occurredAt: new Date(event.occurred_at),
      })),
    };
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
