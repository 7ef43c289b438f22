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

  constructor(loginId: string, displayName: string, email: string, role: AdminRole) {
    this.loginId = loginId;
    this.displayName = displayName;
    this.email = email;
    this.role = role;
  }
}
