import { Module, type DynamicModule, type InjectionToken } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, HEALTH_DETAILS_FOR, type HealthDetailsFor } from './health.controller.js';

/** `GET /health` and `GET /health/ready`, for both apps. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
})
export class HealthModule {
  /**
   * The probes, with a predicate (made by `factory` from `inject`) deciding by client address who sees what
   * failed; everyone else gets only `{"status":"ok"}` or `{"status":"error"}`, never a database's error text.
   */
  static withDetailsFor<T extends unknown[]>(factory: (...deps: T) => HealthDetailsFor, inject: InjectionToken[]): DynamicModule {
    return { module: HealthModule, providers: [{ provide: HEALTH_DETAILS_FOR, useFactory: factory, inject }] };
  }
}
