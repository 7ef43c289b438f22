import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { DashboardSnapshotScheduler } from './dashboard-snapshot.scheduler.js';
import { DashboardSnapshots } from './dashboard-snapshots.service.js';
import { GroupDashboardSnapshot } from './group-dashboard-snapshot.entity.js';

/**
 * The dashboard's per-group figures and their periodic recomputation. Imported by every process role:
 * workers keep the figures fresh, web processes read them (and recompute when no worker does).
 */
@Module({
  imports: [MikroOrmModule.forFeature([GroupDashboardSnapshot]), MeasurementsModule, ParticipantsModule],
  providers: [DashboardSnapshots, DashboardSnapshotScheduler],
  exports: [DashboardSnapshots],
})
export class DashboardSnapshotsModule {}
