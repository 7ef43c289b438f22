import { Controller, Get, Inject, Optional, Req, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import type { Request } from 'express';
import { MikroORM } from '@mikro-orm/postgresql';

/** Who may see which check failed and why: a predicate on the client address. Without it, everyone may. */
export const HEALTH_DETAILS_FOR = Symbol('HEALTH_DETAILS_FOR');
export type HealthDetailsFor = (address: string | undefined) => boolean;

/**
 * Liveness and readiness probes, outside every access check so orchestrators can reach them. Readiness
 * details (which check failed, with the error's text) only go to addresses HEALTH_DETAILS_FOR allows;
 * everyone else learns up or down.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly orm: MikroORM,
    @Optional() @Inject(HEALTH_DETAILS_FOR) private readonly detailsFor?: HealthDetailsFor,
  ) {}

  /** The process is up and serving HTTP. */
  @Get()
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** The database answers a query and every migration this build knows has been applied. */
  @Get('ready')
  @HealthCheck()
  async ready(@Req() req: Request): Promise<HealthCheckResult | { status: 'ok' }> {
    const detailed = !this.detailsFor || this.detailsFor(req.ip);
    try {
      const result = await this.checks();
      return detailed ? result : { status: 'ok' };
    } catch (error) {
      if (detailed || !(error instanceof ServiceUnavailableException)) throw error;
      throw new ServiceUnavailableException({ status: 'error' });
    }
  }

  private checks(): Promise<HealthCheckResult> {
    return this.health.check([
      // A real round trip rather than the ORM's "connected" flag, which is false until first use.
      () =>
        this.indicators
          .check('database')
          .attempt(async () => {
            await this.orm.em.getConnection().execute('select 1');
          })
          .withTimeout(3000),
      () =>
        this.indicators
          .check('migrations')
          .attempt(async () => {
            const pending = await this.orm.migrator.getPending();
            if (pending.length > 0) throw new Error(`${pending.length} pending: ${pending.map((m) => m.name).join(', ')}`);
            return { pending: 0 };
          })
          .withTimeout(5000),
    ]);
  }
}
