import { Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Mailer } from './mailer.service.js';
import { OutboxMail } from './outbox-mail.entity.js';

@Global()
@Module({ imports: [MikroOrmModule.forFeature([OutboxMail])], providers: [Mailer], exports: [Mailer] })
export class MailModule {}
