import { Injectable, Logger } from '@nestjs/common';
import type { ProgramGroup } from './program-group.entity.js';

/**
 * A panel another room adds to a group's page, below the redirect URLs, so the groups room shows it without
 * knowing that room. The room registers it with `GroupPagePanels.add` and ships the partial that draws it.
 */
export interface GroupPagePanel {
  /** The partial that draws the panel (in the room's `views/partials/`): `load`'s result is its context, the page's is `@root`. */
  readonly partial: string;
  /** What the panel shows for this group, which the page has already checked the admin may see. */
  load(group: ProgramGroup): Promise<object>;
}

/** The panels of a group's page, in the order their rooms added them. */
@Injectable()
export class GroupPagePanels {
  private readonly logger = new Logger(GroupPagePanels.name);
  private readonly panels: GroupPagePanel[] = [];

  add(panel: GroupPagePanel): void {
    this.panels.push(panel);
  }

  /** Each panel's partial and data. A panel that fails is left out and logged: it must not break the page. */
  async load(group: ProgramGroup): Promise<{ partial: string; data: object }[]> {
    const loaded = await Promise.all(
      this.panels.map(async (panel) => {
        try {
          return { partial: panel.partial, data: await panel.load(group) };
        } catch (error) {
          this.logger.error({ err: error, groupId: group.groupId, panel: panel.partial }, 'group page panel could not be prepared');
          return null;
        }
      }),
    );
    return loaded.filter((panel) => panel !== null);
  }
}
