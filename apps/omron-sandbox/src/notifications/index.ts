export { NotificationsModule } from './notifications.module.js';
export { NotificationOutbox } from './notification-outbox.service.js';
export type { NotificationPayload } from './notification.entity.js';
