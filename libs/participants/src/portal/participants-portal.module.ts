import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GroupsModule } from '@opendsp/groups';
import { ParticipantsModule } from '../participants.module.js';
import { ConsentLinksPortalController } from './consent-links.portal.controller.js';
import { CsvUploadMiddleware } from './csv-upload.middleware.js';
import { GroupDetailsPanelInterceptor } from './group-details-panel.interceptor.js';
import { GroupVisibleGuard } from './group-visible.guard.js';
import { ParticipantsPortalController } from './participants.portal.controller.js';

/** The portal pages of participants and consent links, and their panel on the group page (web processes only). */
@Module({
  imports: [ParticipantsModule, GroupsModule],
  controllers: [ParticipantsPortalController, ConsentLinksPortalController],
  providers: [GroupVisibleGuard, CsvUploadMiddleware, { provide: APP_INTERCEPTOR, useClass: GroupDetailsPanelInterceptor }],
})
export class ParticipantsPortalModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CsvUploadMiddleware).forRoutes({ path: 'groups/:groupId/participants/import', method: RequestMethod.POST });
  }
}
