import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { OAuthGrant } from './oauth-grant.entity.js';

export type OAuthTokenKind = 'access' | 'refresh';

/** An issued access or refresh token. Only its SHA-256 is stored; the token itself is shown once. */
@Entity({ tableName: 'oauth_token', schema: 'omron_sandbox' })
export class OAuthToken {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  tokenHash: string;

  @Property({ type: 'text' })
  kind: OAuthTokenKind;

  @ManyToOne({ entity: () => OAuthGrant, deleteRule: 'cascade', index: true })
  grant: OAuthGrant;

  /** Null for refresh tokens, which live as long as their family. */
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  /** When a refresh token was exchanged under rotation; presenting it again afterwards is reuse. */
  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(tokenHash: string, kind: OAuthTokenKind, grant: OAuthGrant, expiresAt: Date | null) {
    this.tokenHash = tokenHash;
    this.kind = kind;
    this.grant = grant;
    this.expiresAt = expiresAt;
  }
}
