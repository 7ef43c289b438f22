import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export const CONNECTION_STATES = ['active', 'refreshing', 'reconnect_needed', 'revoked', 'withdrawn'] as const;
/**
 * - `active`: holds tokens that work, or will after a routine refresh.
 * - `refreshing`: the access token has expired while refreshes fail transiently (upstream down); retried with
 *   backoff and back to `active` on the first success. Transient failures never change the state otherwise.
 * - `reconnect_needed`: OMRON refused the refresh token (`invalid_grant`); only a new authorisation helps.
 * - `revoked`: OMRON reported the authorisation revoked.
 * - `withdrawn`: the participant left the program; tokens were revoked upstream and wiped here.
 */
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/**
 * One OMRON connect user's authorisation of this platform: the OAuth tokens (encrypted with SecretBox,
 * bound to this row and column) and the bookkeeping that keeps them alive.
 */
@Entity({ tableName: 'omron_connection' })
@Index({ name: 'omron_connection_refresh_due_idx', properties: ['state', 'accessTokenExpiresAt'] })
// connectionJoinSql's state by OMRON user from the index alone (a group's funnel counts every member's).
@Index({
  name: 'omron_connection_user_state_index',
  expression: 'create index "omron_connection_user_state_index" on "omron_connection" ("omron_user_id") include ("state")',
})
export class OmronConnection {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** OMRON's user identifier: the id_token's `sub`, and the `id` of its notifications. */
  @Property({ type: 'text' })
  @Unique()
  omronUserId: string;

  /** Cognito's `custom:userId` of the OMRON user, when their identity token carried it; notifications may use it. */
  @Property({ type: 'text', nullable: true })
  @Index()
  customUserId: string | null = null;

  /** The OMRON account's e-mail address, when the identity token carried it. */
  @Property({ type: 'text', nullable: true })
  email: string | null = null;

  /** Space-delimited scopes granted (the token answer's `scope`, or what was asked when OMRON does not say). */
  @Property({ type: 'text' })
  scopes: string;

  /** The redirect URI of the authorisation; the refresh grant must repeat it (Partner API spec). */
  @Property({ type: 'text' })
  redirectUri: string;

  @Property({ type: 'text', nullable: true, hidden: true, lazy: false })
  accessTokenCiphertext: string | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  refreshTokenCiphertext: string | null = null;

  @Property({ type: 'text', nullable: true, hidden: true })
  idTokenCiphertext: string | null = null;

  /** When OMRON stops accepting the access token, measured from the moment the token request was sent. */
  @Property({ type: 'timestamptz' })
  accessTokenExpiresAt: Date;

  @Property({ type: 'integer' })
  accessTokenLifetimeSeconds: number;

  @Enum({ items: () => CONNECTION_STATES, type: 'text' })
  state: ConnectionState & Opt = 'active';

  @Property({ type: 'timestamptz' })
  stateChangedAt: Date & Opt = new Date();

  /** Why the connection is in its state, for the portal and the API (e.g. OMRON's error code). */
  @Property({ type: 'text', nullable: true })
  stateReason: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastRefreshedAt: Date | null = null;

  /** Transient refresh failures since the last success; drives the scheduler's backoff. */
  @Property({ type: 'integer' })
  transientFailures: number & Opt = 0;

  /** The scheduler does not try this connection again before this time. */
  @Property({ type: 'timestamptz', nullable: true })
  nextRefreshAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(input: {
    omronUserId: string;
    scopes: string;
    redirectUri: string;
    accessTokenExpiresAt: Date;
    accessTokenLifetimeSeconds: number;
  }) {
    this.omronUserId = input.omronUserId;
    this.scopes = input.scopes;
    this.redirectUri = input.redirectUri;
    this.accessTokenExpiresAt = input.accessTokenExpiresAt;
    this.accessTokenLifetimeSeconds = input.accessTokenLifetimeSeconds;
  }
}

/** The history of a connection's states, oldest first. */
@Entity({ tableName: 'omron_connection_event' })
@Index({ properties: ['connectionId', 'occurredAt'] })
export class OmronConnectionEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @Property({ type: 'uuid' })
  connectionId: string;

  @Property({ type: 'text', nullable: true })
  fromState: ConnectionState | null;

  @Property({ type: 'text' })
  toState: ConnectionState;

  @Property({ type: 'text', nullable: true })
  reason: string | null;

  @Property({ type: 'timestamptz' })
  occurredAt: Date & Opt = new Date();

  constructor(connectionId: string, fromState: ConnectionState | null, toState: ConnectionState, reason: string | null) {
    this.connectionId = connectionId;
    this.fromState = fromState;
    this.toState = toState;
    this.reason = reason;
  }
}
