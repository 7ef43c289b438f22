import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A message the platform would have sent without SMTP configured; the development outbox page lists these. */
@Entity({ tableName: 'mail_outbox' })
export class OutboxMail {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'text' })
  toAddress: string;

  @Property({ type: 'text' })
  subject: string;

  @Property({ type: 'text' })
  textBody: string;

  /** When the one-time link in the body stops working; the body is replaced then (Mailer.purgeExpiredLinks). */
  @Property({ type: 'timestamptz', nullable: true })
  linkExpiresAt: Date | null = null;

  constructor(toAddress: string, subject: string, textBody: string, linkExpiresAt: Date | null = null) {
    this.toAddress = toAddress;
    this.subject = subject;
    this.textBody = textBody;
    this.linkExpiresAt = linkExpiresAt;
  }
}
