import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AlertChecks } from './alert-checks.service.js';

/** Runs the alert checks in worker processes (inert where ScheduleModule is not loaded, i.e. web-only processes). */
@Injectable()
export class AlertsScheduler {
  private readonly logger = new Logger(AlertsScheduler.name);
  private running = false;
  private silencesCheckedAt = 0;

  constructor(private readonly checks: AlertChecks) {}

  /** Connection changes and e-mail every 10 s; silences every 15 minutes (they are counted in days). */
  @Interval('alerts', 10_000)
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.checks.followConnections();
      if (Date.now() - this.silencesCheckedAt >= 15 * 60_000) {
        this.silencesCheckedAt = Date.now();
        await this.checks.checkSilences();
      }
      while ((await this.checks.mailPending()) > 0);
    } catch (error) {
      this.logger.error({ err: error }, 'alert checks failed');
    } finally {
      this.running = false;
    }
  }
}
