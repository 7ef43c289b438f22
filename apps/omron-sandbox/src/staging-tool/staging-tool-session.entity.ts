import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { SandboxUser } from '../users/sandbox-user.entity.js';

/** A signed-in browser of the staging tool. Only the SHA-256 of the cookie's token is stored. */
@Entity({ tableName: 'staging_tool_session', schema: 'omron_sandbox' })
export class StagingToolSession {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  tokenHash: string;

  @ManyToOne({ entity: () => SandboxUser, deleteRule: 'cascade', index: true })
  user: SandboxUser;

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(tokenHash: string, user: SandboxUser, expiresAt: Date) {
    this.tokenHash = tokenHash;
    this.user = user;
    this.expiresAt = expiresAt;
  }
}
