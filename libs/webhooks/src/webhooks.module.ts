import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MeasurementsModule } from '@opendsp/measurements';
import { WebhookDispatcherScheduler } from './webhook-dispatcher.scheduler.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookEndpoints } from './webhook-endpoints.service.js';
import { WEBHOOK_ENTITIES } from './webhook-entities.js';

/**
 * Signed webhooks: endpoints, the delivery log and the dispatcher. Loaded by every process role; the dispatcher
 * only ticks where ScheduleModule is loaded (worker roles).
 */
@Module({
  imports: [MikroOrmModule.forFeature(WEBHOOK_ENTITIES), MeasurementsModule],
  providers: [WebhookEndpoints, WebhookDispatcher, WebhookDispatcherScheduler],
  exports: [WebhookEndpoints, WebhookDispatcher],
})
export class WebhooksModule {}
