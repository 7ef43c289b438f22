import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { SftpDestination } from './sftp-destination.entity.js';

/**
 * An SSH public key a partner system signs in to OpenDSP's SFTP server with. It is bound to one retrieval
 * destination, whose groups are its scope: the key reads that destination's files and nothing else. A public
 * key is no secret, so it is kept as typed (OpenSSH one-line form); the audit log names the key by its ID.
 */
@Entity({ tableName: 'sftp_retrieval_key' })
@Index({ name: 'sftp_retrieval_key_fingerprint_index', properties: ['fingerprint'] })
export class SftpRetrievalKey {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => SftpDestination, deleteRule: 'cascade' })
  destination: Rel<SftpDestination>;

  /** The admins' name for it ("Acme ETL, 2026"). */
  @Property({ type: 'text' })
  name: string;

  /** `ssh-ed25519 AAAA…` (the comment dropped). */
  @Property({ type: 'text' })
  publicKey: string;

  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  @Property({ type: 'text' })
  fingerprint: string;

  @Property({ type: 'text' })
  keyType: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  /** Set when an admin revokes it; a revoked key signs in no more. */
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;

  constructor(destination: SftpDestination, input: { name: string; publicKey: string; fingerprint: string; keyType: string }) {
    this.destination = destination;
    this.name = input.name;
    this.publicKey = input.publicKey;
    this.fingerprint = input.fingerprint;
    this.keyType = input.keyType;
  }
}
