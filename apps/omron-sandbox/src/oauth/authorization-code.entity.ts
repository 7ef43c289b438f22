import { randomUUID } from 'node:crypto';
import { ArrayType, type Opt } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { OAuthGrant } from './oauth-grant.entity.js';

/** An authorization code handed to the app's redirect URI: lives 10 minutes, single-use, stored as SHA-256. */
@Entity({ tableName: 'oauth_authorization_code', schema: 'omron_sandbox' })
export class AuthorizationCode {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  codeHash: string;

  @ManyToOne({ entity: () => SandboxUser, deleteRule: 'cascade' })
  user: SandboxUser;

  @ManyToOne({ entity: () => RegisteredApp, deleteRule: 'cascade' })
  app: RegisteredApp;

  @Property({ type: ArrayType, columnType: 'text[]' })
  scopes: string[];

  @Property({ type: 'text' })
  redirectUri: string;

  /** The PKCE S256 challenge, when the request carried one. */
  @Property({ type: 'text', nullable: true })
  codeChallenge: string | null;

  @Property({ type: 'text', nullable: true })
  nonce: string | null;

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'timestamptz', nullable: true })
  consumedAt: Date | null = null;

  /** The family its exchange started; revoked if the code is presented a second time (RFC 6749 §4.1.2). */
  @ManyToOne({ entity: () => OAuthGrant, nullable: true, deleteRule: 'set null' })
  grant: OAuthGrant | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(input: {
    codeHash: string;
    user: SandboxUser;
    app: RegisteredApp;
    scopes: string[];
    redirectUri: string;
    codeChallenge: string | null;
    nonce: string | null;
    expiresAt: Date;
  }) {
    this.codeHash = input.codeHash;
    this.user = input.user;
    this.app = input.app;
    this.scopes = input.scopes;
    this.redirectUri = input.redirectUri;
    this.codeChallenge = input.codeChallenge;
    this.nonce = input.nonce;
    this.expiresAt = input.expiresAt;
  }
}
