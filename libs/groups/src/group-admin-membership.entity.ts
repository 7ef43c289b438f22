import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { AdminAccount } from '@opendsp/admin-auth';
import { ProgramGroup } from './program-group.entity.js';

/** A group admin's responsibility for a group: the groups they may see and manage. */
@Entity({ tableName: 'group_admin_membership' })
export class GroupAdminMembership {
  @ManyToOne({ entity: () => AdminAccount, primary: true, deleteRule: 'cascade' })
  admin: Rel<AdminAccount>;

  @ManyToOne({ entity: () => ProgramGroup, primary: true, deleteRule: 'cascade' })
  @Index({ name: 'group_admin_membership_group_id_index' })
  group: Rel<ProgramGroup>;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(admin: AdminAccount, group: ProgramGroup) {
    this.admin = admin;
    this.group = group;
  }
}
