import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

export const ADMIN_ROLES = ['partner-admin', 'group-admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** A person who uses the admin portal. The partner admin named in the environment configuration is the first. */
@Entity({ tableName: 'admin_account' })
export class AdminAccount {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** The login ID (the DSP document's "Partner Admin account ID"). */
  @Property({ type: 'text' })
  @Unique()
  loginId: string;

  @Property({ type: 'text' })
  displayName: string;

  /** Where password reset and invitation mail goes. */
  @Property({ type: 'text' })
  email: string;

  @Enum({ items: () => ADMIN_ROLES, type: 'text' })
  role: AdminRole;

  /** argon2id; null until the admin sets a password through a one-time setup link. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  passwordHash: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null = null;

  /** The portal language this admin chose; null follows DSP_LANGUAGE. */
  @Property({ type: 'text', nullable: true })
  language: string | null = null;

  /** The TOTP secret, SecretBox-encrypted (bound to this row and column); null without a second factor. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  totpSecretCiphertext: string | null = null;

  /** The last TOTP time step accepted, so a code cannot be replayed within its window. */
  @Property({ type: 'bigint', nullable: true, hidden: true })
  totpLastStep: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null = null;

  constructor(loginId: string, displayName: string, email: string, role: AdminRole) {
    this.loginId = loginId;
    this.displayName = displayName;
    this.email = email;
    this.role = role;
  }
}
