import { Module } from '@nestjs/common';
import { GroupsModule } from '@opendsp/groups';
import { ViewsFolder } from '@opendsp/views';
import { CsvDownloads } from './csv/csv-downloads.service.js';
import { ExportsModule } from './exports.module.js';
import { ExportsPortalController } from './portal/exports.portal.controller.js';
import { SftpDestinationsPortalController } from './portal/sftp-destinations.portal.controller.js';

/** The exports room's portal pages (CSV download, SFTP destinations); loaded with the portal, in web roles only. */
@ViewsFolder(import.meta.url)
@Module({
  imports: [ExportsModule, GroupsModule],
  controllers: [ExportsPortalController, SftpDestinationsPortalController],
  providers: [CsvDownloads],
})
export class ExportsPortalModule {}
