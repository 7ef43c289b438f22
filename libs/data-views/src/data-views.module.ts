import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { AdminAuthModule } from '@opendsp/admin-auth';
import { GroupsModule } from '@opendsp/groups';
import { ViewsFolder } from '@opendsp/views';
import { DashboardSnapshotsModule } from './dashboard/dashboard-snapshots.module.js';
import { DashboardPortalController } from './dashboard/dashboard.portal.controller.js';
import { DataScope } from './data-scope.js';
import { ParticipantList } from './participants/participant-list.service.js';
import { ParticipantPage } from './participants/participant-page.service.js';
import { ParticipantRecords } from './participants/participant-records.service.js';
import { ParticipantsPortalController } from './participants/participants.portal.controller.js';
import { ReadingQueries } from './participants/reading-queries.service.js';
import { SyncRequests } from './sync/sync-requests.service.js';
import { SYNC_STATUS, SyncStatusNotAvailable, type SyncStatusReader } from './sync/sync-status.js';
import { SyncPortalController } from './sync/sync.portal.controller.js';
import { MeasurementsModule } from '@opendsp/measurements';

export interface DataViewsOptions {
  /** Modules that provide `syncStatus` (the sync module). */
  imports?: ModuleMetadata['imports'];
  /** The implementation of SyncStatusReader; without one the pages say sync status is not available. */
  syncStatus?: Type<SyncStatusReader>;
}

/**
 * The portal's data views: the dashboard (portal home), the participant list, a participant's page with
 * charts, and the sync page. Served by web processes (imported by the portal module).
 */
@ViewsFolder(import.meta.url)
@Module({})
export class DataViewsModule {
  static register(options: DataViewsOptions = {}): DynamicModule {
    return {
      module: DataViewsModule,
      imports: [AdminAuthModule, GroupsModule, DashboardSnapshotsModule, MeasurementsModule, ...(options.imports ?? [])],
      controllers: [DashboardPortalController, ParticipantsPortalController, SyncPortalController],
      providers: [
        DataScope,
        ParticipantList,
        ParticipantRecords,
        ReadingQueries,
        ParticipantPage,
        SyncRequests,
        options.syncStatus
          ? { provide: SYNC_STATUS, useExisting: options.syncStatus }
          : { provide: SYNC_STATUS, useClass: SyncStatusNotAvailable },
      ],
    };
  }
}
