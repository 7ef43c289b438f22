import { Module } from '@nestjs/common';
import { OAuthModule } from '../oauth/index.js';
import { RegisteredAppsModule } from '../registered-apps/index.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import { NotificationOutbox } from './notification-outbox.service.js';
import { NotificationsAdminController } from './notifications.admin.controller.js';

/** OMRON's "new data" notifications to the apps' Notification URIs, with retries. */
@Module({
  imports: [OAuthModule, RegisteredAppsModule],
  controllers: [NotificationsAdminController],
  providers: [NotificationOutbox, NotificationDispatcher],
  exports: [NotificationOutbox],
})
export class NotificationsModule {}
