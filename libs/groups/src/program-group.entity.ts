import { randomUUID } from 'node:crypto';
import { ArrayType, Collection, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { generateGroupId } from './group-id.rules.js';

/** A program (the DSP document's "group"): participants join it through its consent link. */
@Entity({ tableName: 'program_group' })
@Index({ name: 'program_group_created_at_id_index', properties: ['createdAt', 'id'] })
export class ProgramGroup {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** The public group ID shown on the group's details page and carried by its consent link. */
  @Property({ type: 'text' })
  @Unique()
  groupId: string & Opt = generateGroupId();

  /** Shown to participants on the consent screen as the recipient of their data (project or company name). */
  @Property({ type: 'text' })
  displayName: string;

  @Property({ type: 'text' })
  description: string & Opt = '';

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  archivedAt: Date | null = null;

  /**
   * Origins (`https://host[:port]`) a consent link's `back_url` may lead to besides those of the group's registered
   * redirect URLs: the back icon is a link on our own sign-in page, so it may not point anywhere.
   */
  @Property({ type: ArrayType, columnType: 'text[]', defaultRaw: `'{}'` })
  backLinkOrigins: string[] & Opt = [];

  /** The data types its consents ask for, narrowing the region's (DSP_REGION); null: all the region offers. */
  @Property({ type: ArrayType, columnType: 'text[]', nullable: true })
  dataTypes: string[] | null = null;

  /** When OMRON last answered `invalid_scope` to one of its consents: the group's page shows an alert. */
  @Property({ type: 'timestamptz', nullable: true })
  scopeRefusedAt: Date | null = null;

  @OneToMany({ entity: () => GroupRedirectUrl, mappedBy: 'group', orphanRemoval: true })
  redirectUrls = new Collection<GroupRedirectUrl>(this);

  constructor(displayName: string) {
    this.displayName = displayName;
  }
}

/** A pre-registered redirect destination URL of a group; participants land here after consenting. */
@Entity({ tableName: 'group_redirect_url' })
@Unique({ properties: ['group', 'url'] })
@Unique({ name: 'group_redirect_url_one_default', properties: ['group'], where: '"is_default"' })
export class GroupRedirectUrl {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => ProgramGroup, deleteRule: 'cascade' })
  group: Rel<ProgramGroup>;

  @Property({ type: 'text' })
  url: string;

  /** At most one per group (a partial unique index in the database); with none registered, the platform's result page is used. */
  @Property({ type: 'boolean' })
  isDefault: boolean & Opt = false;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(group: ProgramGroup, url: string, isDefault = false) {
    this.group = group;
    this.url = url;
    this.isDefault = isDefault;
  }
}
