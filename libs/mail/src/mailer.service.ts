import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import nodemailer, { type Transporter } from 'nodemailer';
import { DspConfig } from '@opendsp/config';
import { OutboxMail } from './outbox-mail.entity.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends the platform's mail through SMTP_URL with nodemailer. Without SMTP_URL the message is kept in the
 * outbox table instead, which the development outbox page shows (so password reset works on a laptop).
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
      const info = (await this.transport.sendMail({ from: this.config.mail.from, ...mail })) as { messageId?: string };
      this.logger.log({ messageId: info.messageId }, 'mail sent');
      return;
    }
    const em = this.em.fork();
    em.persist(new OutboxMail(mail.to, mail.subject, mail.text));
    await em.flush();
  }

  /** The newest outbox messages, for the development outbox page. */
  recent(limit = 50): Promise<OutboxMail[]> {
    return this.em.fork().find(OutboxMail, {}, { orderBy: { id: 'desc' }, limit });
  }
}
