import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { RegisteredAppsModule } from '../registered-apps/index.js';
import { FaultInjectionMiddleware } from './fault-injection.middleware.js';
import { FaultsAdminController } from './faults.admin.controller.js';
import { FaultsService } from './faults.service.js';

/** Seeded fault injection for every sandbox endpoint: errors, 429 bursts, latency, resets, broken bodies. */
@Module({
  imports: [RegisteredAppsModule],
  controllers: [FaultsAdminController],
  providers: [FaultsService],
})
export class FaultsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(FaultInjectionMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
