import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';
import { newClientId } from './client-credentials.helpers.js';

/**
 * A partner system allowed to call the REST API with the OAuth 2.0 client-credentials grant. Only the
 * SHA-256 of its secret is stored (see `client-credentials.helpers.ts` for why a fast hash is right here); during a
 * rotation the previous secret keeps working until `previousSecretExpiresAt`.
 */
@Entity({ tableName: 'api_client' })
@Index({ name: 'api_client_created_at_id_index', properties: ['createdAt', 'id'] })
export class ApiClient {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** The public `client_id`, e.g. `dspc_7K2M9QX4TR1B5ZW8HD3N`. */
  @Property({ type: 'text' })
  @Unique()
  clientId: string & Opt = newClientId();

  @Property({ type: 'text' })
  name: string;

  /** Space-delimited scopes (API_SCOPES) this client may request. */
  @Property({ type: 'text' })
  scopes: string;

  /** True: every group, including groups created later. False: only the groups in `api_client_group`. */
  @Property({ type: 'boolean' })
  allGroups: boolean;

  @Property({ type: 'text', hidden: true })
  secretHash: string;

  @Property({ type: 'timestamptz' })
  secretIssuedAt: Date & Opt = new Date();

  /** The secret before the last rotation, accepted until `previousSecretExpiresAt`. */
  @Property({ type: 'text', nullable: true, hidden: true })
  previousSecretHash: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** A disabled client gets no tokens, and the tokens it holds stop working at once. */
  @Property({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null = null;

  /** Login ID of the admin who created it. */
  @Property({ type: 'text', nullable: true })
  createdBy: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastTokenIssuedAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(input: { name: string; scopes: string; allGroups: boolean; secretHash: string }) {
    this.name = input.name;
    this.scopes = input.scopes;
    this.allGroups = input.allGroups;
    this.secretHash = input.secretHash;
  }
}

/** A group an API client restricted to some groups may see. */
@Entity({ tableName: 'api_client_group' })
export class ApiClientGroup {
  @ManyToOne({ entity: () => ApiClient, primary: true, deleteRule: 'cascade' })
  client: Rel<ApiClient>;

  @ManyToOne({ entity: () => ProgramGroup, primary: true, deleteRule: 'cascade' })
  @Index({ name: 'api_client_group_group_id_index' })
  group: Rel<ProgramGroup>;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(client: ApiClient, group: ProgramGroup) {
    this.client = client;
    this.group = group;
  }
}

/** A bearer token issued by the client-credentials grant. Opaque to the client; only its SHA-256 is stored. */
@Entity({ tableName: 'api_access_token' })
export class ApiAccessToken {
  @PrimaryKey({ type: 'text' })
  tokenHash: string;

  @ManyToOne({ entity: () => ApiClient, deleteRule: 'cascade' })
  @Index({ name: 'api_access_token_client_id_index' })
  client: Rel<ApiClient>;

  /** The scopes granted to this token: the requested ones, or all of the client's. */
  @Property({ type: 'text' })
  scopes: string;

  @Property({ type: 'timestamptz' })
  @Index({ name: 'api_access_token_expires_at_index' })
  expiresAt: Date;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(tokenHash: string, client: ApiClient, scopes: string, expiresAt: Date) {
    this.tokenHash = tokenHash;
    this.client = client;
    this.scopes = scopes;
    this.expiresAt = expiresAt;
  }
}

/**
 * The store of the per-client rate limiter (rate-limiter-flexible's PostgreSQL layout, column order
 * included: it inserts positionally), so every web process counts against the same budget.
 */
@Entity({ tableName: 'api_rate_limit' })
export class ApiRateLimitBucket {
  @PrimaryKey({ type: 'string', length: 255 })
  key!: string;

  @Property({ type: 'integer', default: 0 })
  points!: number & Opt;

  /** Epoch milliseconds at which the window ends. */
  @Property({ type: 'bigint', nullable: true })
  expire!: string | null;
}

export const API_ENTITIES = [ApiClient, ApiClientGroup, ApiAccessToken, ApiRateLimitBucket];
