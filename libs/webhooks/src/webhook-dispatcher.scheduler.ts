import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';

/** Runs the dispatcher in worker processes (inert where ScheduleModule is not loaded, i.e. web-only processes). */
@Injectable()
export class WebhookDispatcherScheduler {
  private readonly logger = new Logger(WebhookDispatcherScheduler.name);
  private running = false;

  constructor(private readonly dispatcher: WebhookDispatcher) {}

  @Interval('webhooks', 1000)
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.dispatcher.runOnce();
    } catch (error) {
      this.logger.error({ err: error }, 'webhook pass failed');
    } finally {
      this.running = false;
    }
  }
}
