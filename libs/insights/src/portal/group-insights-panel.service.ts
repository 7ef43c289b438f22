import { Injectable } from '@nestjs/common';
import type { GroupPagePanel, ProgramGroup } from '@opendsp/groups';
import { InsightsPages } from '../insights-pages.service.js';

/**
 * The blood-pressure control panel on a group's page (`views/partials/group-insights-panel.hbs`): this month's
 * figures and the monthly trend chart, each number a link to the participants it counts, and links to the
 * adherence list. The panel renders in the portal's default language's labels for the chart's title attributes.
 */
@Injectable()
export class GroupInsightsPanel implements GroupPagePanel {
  readonly partial = 'group-insights-panel';

  constructor(private readonly pages: InsightsPages) {}

  load(group: ProgramGroup): Promise<object> {
    return this.pages.controlView(group, 'en');
  }
}
