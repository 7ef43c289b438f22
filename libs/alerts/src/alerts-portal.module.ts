import { Module, type OnModuleInit } from '@nestjs/common';
import { GroupPagePanels, GroupsModule } from '@opendsp/groups';
import { ParticipantsModule } from '@opendsp/participants';
import { ViewsFolder } from '@opendsp/views';
import { AlertGroupPanel } from './alert-group-panel.service.js';
import { AlertInbox } from './alert-inbox.service.js';
import { AlertsModule } from './alerts.module.js';
import { AlertsPortalController } from './portal/alerts.portal.controller.js';

/** The alerts room's portal pages and its panel on the group page; loaded with the portal, in web roles only. */
@ViewsFolder(import.meta.url)
@Module({
  imports: [AlertsModule, GroupsModule, ParticipantsModule],
  controllers: [AlertsPortalController],
  providers: [AlertInbox, AlertGroupPanel],
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
