import type { Opt, Rel } from '@mikro-orm/core';
import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';

/**
 * How often a group's consent link was opened (valid links only), per day in the environment's time zone.
 * Counts every opening, by anyone: most visitors are not known yet (an OMRON connect user becomes a
 * participant only when they consent), so this is the top of the enrollment funnel. Known participants'
 * openings are on their enrollment as well (`linkOpenedAt`, status `link_opened`).
 */
@Entity({ tableName: 'consent_link_open' })
export class ConsentLinkOpen {
  [PrimaryKeyProp]?: ['group', 'day'];

  @ManyToOne({ entity: () => ProgramGroup, primary: true, deleteRule: 'cascade' })
  group: Rel<ProgramGroup>;

  /** `YYYY-MM-DD`. */
  @PrimaryKey({ type: 'date' })
  day: string;

  @Property({ type: 'integer' })
  opens: number & Opt = 0;

  constructor(group: ProgramGroup, day: string) {
    this.group = group;
    this.day = day;
  }
}
