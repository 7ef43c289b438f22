import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { EntityManager } from '@mikro-orm/postgresql';
import nodemailer, { type Transporter } from 'nodemailer';
import { DspConfig } from '@opendsp/config';
import { OutboxMail } from './outbox-mail.entity.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** The message carries a one-time link that stops working then: the outbox keeps it no longer. */
  linkExpiresAt?: Date;
}

/** What an outbox body becomes once its one-time link has expired. */
export const EXPIRED_LINK_BODY = '[This message carried a one-time link that has expired; its text was removed.]';

/**
 * Sends the platform's mail through SMTP_URL with nodemailer. Without SMTP_URL the message is kept in the
 * outbox table instead, which the development outbox page shows (so password reset works on a laptop).
 * A message with a one-time link keeps it in the outbox only while the link works: worker processes replace
 * expired bodies every minute, and the outbox page never shows one past its time.
 */
@Injectable()
export class Mailer implements OnModuleInit {
  private readonly logger = new Logger(Mailer.name);
  private transport: Transporter | undefined;

  constructor(
    private readonly config: DspConfig,
    private readonly em: EntityManager,
  ) {}

  onModuleInit(): void {
    if (this.config.mail.smtpUrl) this.transport = nodemailer.createTransport(this.config.mail.smtpUrl);
    else if (this.config.nodeEnv === 'production')
      this.logger.warn('SMTP_URL is not set: password reset and invitation mail is kept in the mail_outbox table, not delivered');
  }

  /** True when mail goes to the outbox table rather than an SMTP server. */
  get usesOutbox(): boolean {
    return !this.transport;
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (this.transport) {
      const { to, subject, text } = mail;
      const info = (await this.transport.sendMail({ from: this.config.mail.from, to, subject, text })) as { messageId?: string };
      this.logger.log({ messageId: info.messageId }, 'mail sent');
      return;
    }
    const em = this.em.fork();
    em.persist(new OutboxMail(mail.to, mail.subject, mail.text, mail.linkExpiresAt ?? null));
    await em.flush();
  }

  /** The newest outbox messages, for the development outbox page (expired links already removed). */
  async recent(limit = 50): Promise<OutboxMail[]> {
    await this.purgeExpiredLinks();
    return this.em.fork().find(OutboxMail, {}, { orderBy: { id: 'desc' }, limit });
  }

  /** Replaces the bodies of outbox messages whose one-time link has expired; returns how many. */
  async purgeExpiredLinks(now = new Date()): Promise<number> {
    return this.em.fork().nativeUpdate(OutboxMail, { linkExpiresAt: { $lte: now } }, { textBody: EXPIRED_LINK_BODY, linkExpiresAt: null });
  }

  /** Worker processes only (the scheduler runs there). */
  @Interval('mail-outbox-purge', 60_000)
  async purgeTick(): Promise<void> {
    try {
      const purged = await this.purgeExpiredLinks();
      if (purged > 0) this.logger.log({ purged }, 'expired one-time links removed from the mail outbox');
    } catch (error) {
      this.logger.warn(`mail outbox purge failed: ${(error as Error).message}`);
    }
  }
}
