import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';

/**
 * The generated credentials of one provisioning run, kept just long enough for the admin who ran it to see
 * them once: encrypted with SecretBox (bound to this row), readable by that admin only, deleted by the read
 * that shows them, and unreadable (then purged) after a short time. Plaintext passwords are never stored.
 */
@Entity({ tableName: 'credential_sheet' })
@Index({ name: 'credential_sheet_expires_at_index', properties: ['expiresAt'] })
export class CredentialSheet {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => ProgramGroup, deleteRule: 'cascade' })
  group: Rel<ProgramGroup>;

  /** The admin account that provisioned; nobody else may open the sheet. */
  @Property({ type: 'uuid' })
  createdBy: string;

  /** SecretBox ciphertext of the credentials as JSON (column `credentials` in the associated data). */
  @Property({ type: 'text', hidden: true })
  credentialsCiphertext!: string;

  @Property({ type: 'integer' })
  participantCount: number;

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(group: ProgramGroup, createdBy: string, participantCount: number, expiresAt: Date) {
    this.group = group;
    this.createdBy = createdBy;
    this.participantCount = participantCount;
    this.expiresAt = expiresAt;
  }
}
