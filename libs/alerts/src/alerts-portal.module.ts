import { Module, type OnModuleInit } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GroupPagePanels, GroupsModule } from '@opendsp/groups';
import { ParticipantsModule } from '@opendsp/participants';
import { ViewsFolder } from '@opendsp/views';
import { AlertGroupPanel } from './alert-group-panel.service.js';
import { AlertInbox } from './alert-inbox.service.js';
import { AlertsModule } from './alerts.module.js';
import { AlertsPortalController } from './portal/alerts.portal.controller.js';
import { OpenAlertsCountInterceptor } from './portal/open-alerts-count.interceptor.js';

/**
 * The alerts room's portal pages, its panel on the group page and the navigation's open-alert count; loaded with the
 * portal, in web roles only.
 */
@ViewsFolder(import.meta.url)
@Module({
  imports: [AlertsModule, GroupsModule, ParticipantsModule],
  controllers: [AlertsPortalController],
  // The navigation's open-alert count is on every portal page, so it is an app-wide interceptor.
  providers: [AlertInbox, AlertGroupPanel, { provide: APP_INTERCEPTOR, useClass: OpenAlertsCountInterceptor }],
})
export class AlertsPortalModule implements OnModuleInit {
  constructor(
    private readonly groupPagePanels: GroupPagePanels,
    private readonly panel: AlertGroupPanel,
  ) {}

  onModuleInit(): void {
    this.groupPagePanels.add(this.panel);
  }
}
