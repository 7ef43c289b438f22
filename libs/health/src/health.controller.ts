import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { MikroORM } from '@mikro-orm/postgresql';

/** Liveness and readiness probes, outside every access check so orchestrators can reach them. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly orm: MikroORM,
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
  ready() {
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
