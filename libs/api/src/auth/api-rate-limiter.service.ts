import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DspConfig } from '@opendsp/config';

/** The outcome of counting one request against a key's budget. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a retry can succeed). */
  resetSeconds: number;
}

const WINDOW_SECONDS = 60;
const POLICY = 'default';

/**
 * Fixed one-minute windows per key (`client:<id>`, `token:<address>`, `anonymous:<address>`), counted in
 * PostgreSQL by rate-limiter-flexible so every web process shares one budget. Should the database be
 * unreachable, an in-memory limiter of the same size stands in (per process) rather than failing open.
 */
@Injectable()
export class ApiRateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(ApiRateLimiter.name);
  private readonly pool: pg.Pool;
  private readonly limiter: RateLimiterPostgres;
  readonly limit: number;

  constructor(config: DspConfig) {
    this.limit = config.api.rateLimitPerMinute;
    // A small pool of its own: the limiter speaks node-postgres, not MikroORM.
    this.pool = new pg.Pool({ connectionString: config.database.url, max: 2 });
    this.pool.on('error', (error) => this.logger.warn({ err: error }, 'rate limiter connection failed'));
    this.limiter = new RateLimiterPostgres({
      storeClient: this.pool,
      storeType: 'pool',
      tableName: 'api_rate_limit',
      tableCreated: true, // created by the migration, not at run time
      keyPrefix: 'api',
      points: this.limit,
      duration: WINDOW_SECONDS,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'api', points: this.limit, duration: WINDOW_SECONDS }),
    });
  }

  async consume(key: string): Promise<RateDecision> {
    try {
      const res = await this.limiter.consume(key, 1);
      return this.decision(true, res);
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return this.decision(false, outcome);
      throw outcome;
    }
  }

  /** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), and `Retry-After` when refused. */
  static setHeaders(res: Response, decision: RateDecision): void {
    res.setHeader('RateLimit-Policy', `"${POLICY}";q=${decision.limit};w=${WINDOW_SECONDS}`);
    res.setHeader('RateLimit', `"${POLICY}";r=${decision.remaining};t=${decision.resetSeconds}`);
    if (!decision.allowed) res.setHeader('Retry-After', String(decision.resetSeconds));
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }

  private decision(allowed: boolean, res: RateLimiterRes): RateDecision {
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}
