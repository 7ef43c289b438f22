import { Injectable } from '@nestjs/common';
import type { GroupPagePanel, ProgramGroup } from '@opendsp/groups';
import { ConsentLinks } from '../consent-links/consent-links.service.js';
import { ParticipantDirectory } from '../directory/participant-directory.service.js';

/**
 * The consent-link panel and the enrollment counts on a group's page (`views/partials/group-enrollment-panel.hbs`),
 * added to the groups room's page by ParticipantsPortalModule, so the groups room needs no knowledge of participants.
 */
@Injectable()
export class GroupEnrollmentPanel implements GroupPagePanel {
  readonly partial = 'group-enrollment-panel';

  constructor(
    private readonly links: ConsentLinks,
    private readonly directory: ParticipantDirectory,
  ) {}

  async load(group: ProgramGroup): Promise<object> {
    const { funnel } = await this.directory.funnel(group.groupId);
    const links = (await this.links.forGroup(group)).map((link) => ({
      ...link,
      query: new URLSearchParams({ redirect_url: link.redirectUrl }).toString(),
    }));
    return { links, funnel };
  }
}
