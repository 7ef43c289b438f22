import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { OmronTokens } from './omron-tokens.service.js';

/** Runs the proactive refresh pass in worker processes; the work itself lives in OmronTokens. */
@Injectable()
export class TokenRefreshScheduler {
  private readonly logger = new Logger(TokenRefreshScheduler.name);
  private running = false;

  constructor(private readonly tokens: OmronTokens) {}

  @Interval('token-refresh', 30_000)
  async refreshDueTokens(): Promise<void> {
    // A pass spaced to the refresh budget may outlast the interval; never run two at once in one process.
    if (this.running) return;
    this.running = true;
    try {
      const { refreshed, failed } = await this.tokens.refreshDue();
      if (refreshed + failed > 0) this.logger.log(`token refresh pass: ${refreshed} refreshed, ${failed} failed`);
    } finally {
      this.running = false;
    }
  }
}
