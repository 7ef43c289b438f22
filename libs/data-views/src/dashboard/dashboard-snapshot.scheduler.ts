import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ModuleRef } from '@nestjs/core';
import { DspConfig } from '@opendsp/config';
import { DashboardSnapshots } from './dashboard-snapshots.service.js';

const NAME = 'dashboard-snapshot';

/**
 * Recomputes the dashboard's figures every DASHBOARD_REFRESH_SECONDS in processes that run scheduled work
 * (the `worker` and `all` roles, where ScheduleModule is loaded); the work itself is DashboardSnapshots'.
 */
@Injectable()
export class DashboardSnapshotScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DashboardSnapshotScheduler.name);

  constructor(
    private readonly snapshots: DashboardSnapshots,
    private readonly config: DspConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    // The registry exists only where ScheduleModule.forRoot() is imported, i.e. in roles that run work.
    const registry = this.registry();
    if (!registry) return;
    const timer = setInterval(() => {
      this.snapshots.refreshOnce().catch((error: unknown) => this.logger.error({ err: error }, 'dashboard snapshot refresh failed'));
    }, this.config.dataViews.dashboardRefreshSeconds * 1000);
    timer.unref();
    registry.addInterval(NAME, timer);
  }

  onApplicationShutdown(): void {
    const registry = this.registry();
    if (registry?.doesExist('interval', NAME)) registry.deleteInterval(NAME);
  }

  private registry(): SchedulerRegistry | null {
    try {
      return this.moduleRef.get(SchedulerRegistry, { strict: false });
    } catch {
      return null;
    }
  }
}
