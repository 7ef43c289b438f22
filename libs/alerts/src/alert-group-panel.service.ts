import { Injectable } from '@nestjs/common';
import type { GroupPagePanel, ProgramGroup } from '@opendsp/groups';
import { AlertInbox } from './alert-inbox.service.js';

/** The alerts panel on a group's page (`views/partials/alerts-group-panel.hbs`): the rules that are on, open alerts, links. */
@Injectable()
export class AlertGroupPanel implements GroupPagePanel {
  readonly partial = 'alerts-group-panel';

  constructor(private readonly inbox: AlertInbox) {}

  load(group: ProgramGroup): Promise<object> {
    return this.inbox.panel(group);
  }
}
