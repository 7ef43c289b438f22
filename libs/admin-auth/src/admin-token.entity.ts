import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { AdminAccount } from './admin-account.entity.js';

export const ADMIN_TOKEN_PURPOSES = ['setup', 'reset'] as const;
export type AdminTokenPurpose = (typeof ADMIN_TOKEN_PURPOSES)[number];

/** A one-time link to set a password: first-run setup, an invitation, or a password reset. Only its SHA-256 is stored. */
@Entity({ tableName: 'admin_token' })
export class AdminToken {
  @PrimaryKey({ type: 'text' })
  tokenHash: string;

  @ManyToOne({ entity: () => AdminAccount, deleteRule: 'cascade' })
  @Index({ name: 'admin_token_admin_id_index' })
  admin: Rel<AdminAccount>;

  @Enum({ items: () => ADMIN_TOKEN_PURPOSES, type: 'text' })
  purpose: AdminTokenPurpose;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  /** Set when the link is used; a used link never works again. */
  @Property({ type: 'timestamptz', nullable: true })
  usedAt: Date | null = null;

  constructor(tokenHash: string, admin: AdminAccount, purpose: AdminTokenPurpose, expiresAt: Date) {
    this.tokenHash = tokenHash;
    this.admin = admin;
    this.purpose = purpose;
    this.expiresAt = expiresAt;
  }
}
