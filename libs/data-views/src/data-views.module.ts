import { Module } from '@nestjs/common';
import { AdminAuthModule } from '@opendsp/admin-auth';
import { GroupsModule } from '@opendsp/groups';
import { ViewsFolder } from '@opendsp/views';
import { DashboardPage } from './dashboard/dashboard-page.service.js';
import { DashboardSnapshotsModule } from './dashboard/dashboard-snapshots.module.js';
import { DashboardPortalController } from './dashboard/dashboard.portal.controller.js';
import { DataScope } from './data-scope.service.js';
import { ParticipantList } from './participants/participant-list.service.js';
import { ParticipantPage } from './participants/participant-page.service.js';
import { ParticipantRecords } from './participants/participant-records.service.js';
import { ParticipantsPortalController } from './participants/participants.portal.controller.js';
import { ReadingQueries } from './participants/reading-queries.service.js';
import { SyncRequests } from './sync/sync-requests.service.js';
import { SyncPortalController } from './sync/sync.portal.controller.js';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { TokensModule } from '@opendsp/tokens';

/**
 * The portal's data views: the dashboard (portal home), the participant list, a participant's page with
 * charts, and the sync page. Served by web processes (imported by the portal module). Sync figures come from
 * `SyncStatusService` (the global SyncModule).
 */
@ViewsFolder(import.meta.url)
@Module({
  imports: [AdminAuthModule, GroupsModule, ParticipantsModule, DashboardSnapshotsModule, MeasurementsModule, TokensModule],
  controllers: [DashboardPortalController, ParticipantsPortalController, SyncPortalController],
  providers: [DashboardPage, DataScope, ParticipantList, ParticipantRecords, ReadingQueries, ParticipantPage, SyncRequests],
})
export class DataViewsModule {}
