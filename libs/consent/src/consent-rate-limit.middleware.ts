import { Injectable, Logger, type NestMiddleware, type OnModuleDestroy } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DspConfig } from '@opendsp/config';
import { SharedRateLimiter } from '@opendsp/web-security';

/**
 * A per-address limit on the participant-facing pages (/consent/…), which are public (outside the admin IP
 * allowlist) and run argon2, OAuth round trips and database writes. Counted in PostgreSQL, so every web
 * process shares one budget per address (CONSENT_RATE_LIMIT_PER_MINUTE).
 */
@Injectable()
export class ConsentRateLimiter extends SharedRateLimiter implements OnModuleDestroy {
  constructor(config: DspConfig) {
    super(config.database.url, { keyPrefix: 'consent', points: config.participants.consentRateLimitPerMinute, durationSeconds: 60 });
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}

/** Applies {@link ConsentRateLimiter} to /consent/… (the limiter is a provider, so its pool closes with the app). */
@Injectable()
export class ConsentRateLimitMiddleware implements NestMiddleware {
  private readonly logger = new Logger(ConsentRateLimitMiddleware.name);

  constructor(private readonly limiter: ConsentRateLimiter) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const decision = await this.limiter.consume(req.ip ?? 'unknown');
    if (decision.allowed) return next();
    this.logger.warn({ ip: req.ip }, 'consent pages rate limit reached');
    res
      .status(429)
      .set('Retry-After', String(decision.retryAfterSeconds))
      .type('text/plain; charset=utf-8')
      .send('429: しばらく待ってから、もう一度お試しください。 Too many requests: please wait a minute and try again.\n');
  }
}
