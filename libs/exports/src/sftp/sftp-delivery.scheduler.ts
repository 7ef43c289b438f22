import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { RetrievalRetentionService } from './retrieval-retention.service.js';
import { SftpDeliveryService } from './sftp-delivery.service.js';

/**
 * Runs due SFTP deliveries, and the retrieval retention, in worker processes (the tick is inert where ScheduleModule is not loaded, i.e.
 * in web-only processes); the work itself lives in SftpDeliveryService.
 */
@Injectable()
export class SftpDeliveryScheduler {
  private readonly logger = new Logger(SftpDeliveryScheduler.name);
  private running = false;

  constructor(
    private readonly deliveries: SftpDeliveryService,
    private readonly retention: RetrievalRetentionService,
  ) {}

  @Interval('sftp-deliveries', 15_000)
  async runDueDeliveries(): Promise<void> {
    // A large delivery outlasts the interval; never run two passes at once in one process.
    if (this.running) return;
    this.running = true;
    try {
      const outcomes = await this.deliveries.runDue();
      const failed = outcomes.filter((outcome) => outcome.status === 'failed').length;
      if (failed > 0) this.logger.warn(`SFTP delivery pass: ${outcomes.length} due, ${failed} failed`);
    } catch (error) {
      this.logger.error({ err: error }, 'SFTP delivery pass failed');
    } finally {
      this.running = false;
    }
  }

  /** Removes retrieval deliveries past EXPORT_RETRIEVAL_RETENTION_DAYS, hourly. */
  @Interval('sftp-retrieval-retention', 3_600_000)
  async pruneRetrieval(): Promise<void> {
    try {
      await this.retention.prune();
    } catch (error) {
      this.logger.error({ err: error }, 'retrieval retention pass failed');
    }
  }
}
