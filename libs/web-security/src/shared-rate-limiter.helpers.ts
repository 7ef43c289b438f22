import { Logger } from '@nestjs/common';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/** The outcome of counting one request against a key's budget. */
export interface SharedRateDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the window resets (and, when refused, until a retry can succeed). */
  retryAfterSeconds: number;
}

/**
 * A fixed-window limit counted in PostgreSQL by rate-limiter-flexible, so every web process of the
 * environment shares one budget per key (the mechanism of the REST API's per-client limit). The rows live in
 * `api_rate_limit`, created by a migration, under this limiter's key prefix. Should the database be
 * unreachable, an in-memory limiter of the same size stands in (per process) rather than failing open.
 */
export class SharedRateLimiter {
  private readonly logger = new Logger(SharedRateLimiter.name);
  private readonly pool: pg.Pool;
  private readonly limiter: RateLimiterPostgres;

  constructor(databaseUrl: string, options: { keyPrefix: string; points: number; durationSeconds: number }) {
    // A small pool of its own: the limiter speaks node-postgres, not MikroORM.
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    this.pool.on('error', (error) => this.logger.warn({ err: error }, 'rate limiter connection failed'));
    this.limiter = new RateLimiterPostgres({
      storeClient: this.pool,
      storeType: 'pool',
      tableName: 'api_rate_limit',
      tableCreated: true,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationSeconds,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds }),
    });
  }

  async consume(key: string): Promise<SharedRateDecision> {
    try {
      return this.decision(true, await this.limiter.consume(key, 1));
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return this.decision(false, outcome);
      throw outcome;
    }
  }

  /** Forgets a key's count (a successful sign-in, say). */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private decision(allowed: boolean, res: RateLimiterRes): SharedRateDecision {
    return { allowed, remaining: Math.max(0, res.remainingPoints), retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
  }
}
