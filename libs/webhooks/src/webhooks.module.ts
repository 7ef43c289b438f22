import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { TokensModule } from '@opendsp/tokens';
import { WebhookDeliveryPruneScheduler } from './webhook-delivery-prune.scheduler.js';
import { WebhookDeliveryPruner } from './webhook-delivery-pruner.service.js';
import { WebhookDispatcherScheduler } from './webhook-dispatcher.scheduler.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookEndpoints } from './webhook-endpoints.service.js';
import { WebhookEnrollmentListener } from './webhook-enrollment.listener.js';
import { WEBHOOK_ENTITIES } from './webhook.entities.js';

/**
 * Signed webhooks: endpoints, the delivery log and the dispatcher. Loaded by every process role (consents and
 * withdrawals queue their events wherever they happen); the dispatcher and the log's pruning only tick where
 * ScheduleModule is loaded (worker roles).
 */
@Module({
  imports: [MikroOrmModule.forFeature(WEBHOOK_ENTITIES), MeasurementsModule, ParticipantsModule, TokensModule],
  providers: [
    WebhookEndpoints,
    WebhookDispatcher,
    WebhookDispatcherScheduler,
    WebhookEnrollmentListener,
    WebhookDeliveryPruner,
    WebhookDeliveryPruneScheduler,
  ],
  exports: [WebhookEndpoints],
})
export class WebhooksModule {}
