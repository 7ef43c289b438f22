export * from './mail.module.js';
export * from './mailer.service.js';
export * from './outbox-mail.entity.js';
