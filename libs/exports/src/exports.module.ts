import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { CsvExportService } from './csv/csv-export.service.js';
import { EXPORT_ENTITIES } from './export.entities.js';
import { SftpDeliveryScheduler } from './sftp/sftp-delivery.scheduler.js';
import { SftpDeliveryService } from './sftp/sftp-delivery.service.js';
import { SftpDestinationsService } from './sftp/sftp-destinations.service.js';
import { RetrievalRetentionService } from './sftp/retrieval-retention.service.js';
import { SftpRetrievalKeysService } from './sftp/sftp-retrieval-keys.service.js';
import { SftpRetrievalServer } from './sftp/sftp-retrieval-server.service.js';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';

/**
 * Exports: the CSV streaming service (for the portal and the REST API), SFTP destinations and the scheduled
 * delivery, and SFTP retrieval (partners' keys, OpenDSP's own SFTP server, retention). Loaded by every process
 * role; its scheduler only ticks where ScheduleModule is loaded, and the SFTP server only listens, in worker
 * roles. The portal pages are in ExportsPortalModule, loaded with the portal.
 */
@Module({
  imports: [MikroOrmModule.forFeature(EXPORT_ENTITIES), MeasurementsModule, ParticipantsModule],
  providers: [
    CsvExportService,
    SftpDestinationsService,
    SftpDeliveryService,
    SftpDeliveryScheduler,
    SftpRetrievalKeysService,
    RetrievalRetentionService,
    SftpRetrievalServer,
  ],
  exports: [
    CsvExportService,
    SftpDestinationsService,
    SftpDeliveryService,
    SftpRetrievalKeysService,
    RetrievalRetentionService,
    SftpRetrievalServer,
  ],
})
export class ExportsModule {}
