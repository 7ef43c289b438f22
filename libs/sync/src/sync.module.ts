import { Module, type DynamicModule } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ParticipantsModule } from '@opendsp/participants';
import { TokensModule } from '@opendsp/tokens';
import { EnrollmentSyncListener } from './enrollment-sync.listener.js';
import { InboxDispatcher } from './inbox-dispatcher.service.js';
import { OmronMeasurementClient } from './measurement-client.service.js';
import { NotificationInbox } from './notification-inbox.service.js';
import { NotificationsController } from './notifications.controller.js';
import { PullLedger } from './pull-ledger.service.js';
import { PulledPageWriter } from './pulled-page-writer.service.js';
import { ReadingWriter } from './reading-writer.service.js';
import { SYNC_ENTITIES } from './sync.entities.js';
import { SYNC_ROLES, SyncJobs, type SyncRoles } from './sync-jobs.service.js';
import { SyncMaintenance } from './sync-maintenance.service.js';
import { RawPageEraser } from './raw-page-eraser.service.js';
import { RawPageReplay } from './raw-page-replay.service.js';
import { SyncPuller } from './sync-puller.service.js';
import { SyncScheduling } from './sync-scheduling.service.js';
import { SyncStatusService } from './sync-status.service.js';
import { SyncWorkers } from './sync-workers.service.js';
import { UpstreamGate } from './upstream-gate.service.js';
import { MeasurementsModule } from '@opendsp/measurements';

/**
 * Measurement sync (docs/sync.md). Web roles get the Notification URI's receiver; worker roles the pulls,
 * the inbox dispatcher, dead letters and the periodic work. Every role can request pulls (SyncScheduling) and
 * ask where sync stands (SyncStatusService, which the portal's data views and the REST API call); the module is
 * global so other features inject those without importing it.
 * Needs ScheduleModule in worker roles (DspModule provides it).
 */
@Module({})
export class SyncModule {
  static forRoles(roles: SyncRoles): DynamicModule {
    return {
      module: SyncModule,
      global: true,
      imports: [MikroOrmModule.forFeature(SYNC_ENTITIES), TokensModule, ParticipantsModule, MeasurementsModule],
      controllers: roles.web ? [NotificationsController] : [],
      providers: [
        { provide: SYNC_ROLES, useValue: roles },
        SyncJobs,
        SyncScheduling,
        EnrollmentSyncListener,
        SyncStatusService,
        NotificationInbox,
        RawPageEraser,
        ...(roles.worker
          ? [
              UpstreamGate,
              OmronMeasurementClient,
              ReadingWriter,
              PullLedger,
              PulledPageWriter,
              SyncPuller,
              RawPageReplay,
              SyncWorkers,
              InboxDispatcher,
              SyncMaintenance,
            ]
          : []),
      ],
      exports: [SyncScheduling, SyncJobs, SyncStatusService],
    };
  }
}
