import { randomUUID } from 'node:crypto';
import { ArrayType, type Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';

/** The environment prefix of the spec's token host paths (`/stg/…`, `/prd/…`). */
export type SandboxEnvironmentPrefix = 'stg' | 'prd';

/**
 * One approved authorization: a user let an app read the given scopes. It is also the token family:
 * every access and refresh token descending from the same authorization code belongs to it, and
 * revoking it (revocation, refresh-token reuse, code reuse) ends them all.
 */
@Entity({ tableName: 'oauth_grant', schema: 'omron_sandbox' })
@Index({ properties: ['user', 'revokedAt'] })
export class OAuthGrant {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => SandboxUser, deleteRule: 'cascade' })
  user: SandboxUser;

  @ManyToOne({ entity: () => RegisteredApp, deleteRule: 'cascade' })
  app: RegisteredApp;

  @Property({ type: ArrayType, columnType: 'text[]' })
  scopes: string[];

  /** The token host's environment (`stg` or `prd`) the code was exchanged at: its tokens work there only. */
  @Property({ type: 'text' })
  environment: SandboxEnvironmentPrefix & Opt = 'stg';

  /** The redirect URI of the authorization; a refresh request that names one must name this one. */
  @Property({ type: 'text', nullable: true })
  redirectUri: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  constructor(user: SandboxUser, app: RegisteredApp, scopes: string[]) {
    this.user = user;
    this.app = app;
    this.scopes = scopes;
  }
}
