import { Module, type OnModuleInit } from '@nestjs/common';
import { GroupPagePanels, GroupsModule, GroupVisibleGuard } from '@opendsp/groups';
import { ViewsFolder } from '@opendsp/views';
import { InsightsModule } from './insights.module.js';
import { InsightsPages } from './insights-pages.service.js';
import { GroupInsightsPanel } from './portal/group-insights-panel.service.js';
import { InsightsPortalController } from './portal/insights.portal.controller.js';

/** The insights room's portal pages and its panel on the group page; loaded with the portal, in web roles only. */
@ViewsFolder(import.meta.url)
@Module({
  imports: [InsightsModule, GroupsModule],
  controllers: [InsightsPortalController],
  providers: [InsightsPages, GroupInsightsPanel, GroupVisibleGuard],
})
export class InsightsPortalModule implements OnModuleInit {
  constructor(
    private readonly panels: GroupPagePanels,
    private readonly panel: GroupInsightsPanel,
  ) {}

  onModuleInit(): void {
    this.panels.add(this.panel);
  }
}
