import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { WebhookDeliveryPruner } from './webhook-delivery-pruner.service.js';

/** Prunes the delivery log hourly in worker processes (inert where ScheduleModule is not loaded). */
@Injectable()
export class WebhookDeliveryPruneScheduler {
  private readonly logger = new Logger(WebhookDeliveryPruneScheduler.name);

  constructor(private readonly pruner: WebhookDeliveryPruner) {}

  @Interval('webhook-delivery-prune', 60 * 60_000)
  async prune(): Promise<void> {
    try {
      await this.pruner.prune();
    } catch (error) {
      this.logger.error({ err: error }, 'webhook delivery pruning failed');
    }
  }
}
