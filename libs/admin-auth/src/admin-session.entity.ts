import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { AdminAccount } from './admin-account.entity.js';

export const SESSION_STAGES = ['second-factor', 'signed-in'] as const;
export type SessionStage = (typeof SESSION_STAGES)[number];

/**
 * A server-side portal session. The cookie carries a random token; only its SHA-256 is stored, so a copy of
 * the table does not let anyone sign in.
 */
@Entity({ tableName: 'admin_session' })
export class AdminSession {
  /** SHA-256 (hex) of the cookie's token. */
  @PrimaryKey({ type: 'text' })
  tokenHash: string;

  @ManyToOne({ entity: () => AdminAccount, deleteRule: 'cascade' })
  @Index({ name: 'admin_session_admin_id_index' })
  admin: Rel<AdminAccount>;

  /** `second-factor` between a correct password and a correct TOTP code; only `signed-in` opens the portal. */
  @Enum({ items: () => SESSION_STAGES, type: 'text' })
  stage: SessionStage;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  lastSeenAt: Date & Opt = new Date();

  /** The absolute timeout: no request extends a session past it. */
  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  constructor(tokenHash: string, admin: AdminAccount, stage: SessionStage, expiresAt: Date) {
    this.tokenHash = tokenHash;
    this.admin = admin;
    this.stage = stage;
    this.expiresAt = expiresAt;
  }
}
