import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { SandboxConfig } from '@opendsp/config';

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  retryAfterSeconds: number;
}

/**
 * Per-client request budgets of the measurement API (requests per rolling minute window), the default
 * from SANDBOX_RATE_LIMIT_PER_MINUTE and per-client overrides set through the admin API. Kept in
 * memory: a restart starts every window afresh and drops the overrides, as a test tool should.
 */
@Injectable()
export class ClientRateLimits {
  private readonly defaultLimiter: RateLimiterMemory;
  private readonly overrides = new Map<string, RateLimiterMemory>();

  constructor(private readonly config: SandboxConfig) {
    this.defaultLimiter = new RateLimiterMemory({ points: config.rateLimit.requestsPerMinute, duration: 60 });
  }

  /** Counts one request of a client and says whether it is within its budget. */
  async consume(clientId: string): Promise<RateLimitVerdict> {
    const limiter = this.overrides.get(clientId) ?? this.defaultLimiter;
    try {
      await limiter.consume(clientId);
      return { allowed: true, limit: limiter.points, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { allowed: false, limit: limiter.points, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
    }
  }

  /** Gives a client its own budget (starting a fresh window), or back the default with null. */
  setOverride(clientId: string, requestsPerMinute: number | null): void {
    if (requestsPerMinute === null) this.overrides.delete(clientId);
    else this.overrides.set(clientId, new RateLimiterMemory({ points: requestsPerMinute, duration: 60 }));
  }

  describe(): { defaultRequestsPerMinute: number; overrides: Record<string, number> } {
    return {
      defaultRequestsPerMinute: this.defaultLimiter.points,
      overrides: Object.fromEntries([...this.overrides].map(([clientId, limiter]) => [clientId, limiter.points])),
    };
  }
}
