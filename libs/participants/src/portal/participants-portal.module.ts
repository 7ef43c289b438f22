import { Module, RequestMethod, type MiddlewareConsumer, type NestModule, type OnModuleInit } from '@nestjs/common';
import { GroupPagePanels, GroupsModule, GroupVisibleGuard } from '@opendsp/groups';
import { ViewsFolder } from '@opendsp/views';
import { ParticipantsModule } from '../participants.module.js';
import { ConsentLinksPortalController } from './consent-links.portal.controller.js';
import { CsvUploadMiddleware } from './csv-upload.middleware.js';
import { GroupEnrollmentPanel } from './group-enrollment-panel.service.js';
import { ParticipantsPortalController } from './participants.portal.controller.js';

/** The portal pages of participants and consent links, and their panel on the group page (web processes only). */
@ViewsFolder(import.meta.url)
@Module({
  imports: [ParticipantsModule, GroupsModule],
  controllers: [ParticipantsPortalController, ConsentLinksPortalController],
  providers: [GroupVisibleGuard, CsvUploadMiddleware, GroupEnrollmentPanel],
})
export class ParticipantsPortalModule implements NestModule, OnModuleInit {
  constructor(
    private readonly groupPagePanels: GroupPagePanels,
    private readonly enrollmentPanel: GroupEnrollmentPanel,
  ) {}

  onModuleInit(): void {
    this.groupPagePanels.add(this.enrollmentPanel);
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CsvUploadMiddleware).forRoutes({ path: 'groups/:groupId/participants/import', method: RequestMethod.POST });
  }
}
