export { MailModule } from './mail.module.js';
export { EXPIRED_LINK_BODY, Mailer } from './mailer.service.js';
export { OutboxMail } from './outbox-mail.entity.js';
