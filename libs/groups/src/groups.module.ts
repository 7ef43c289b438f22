import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { GroupAdminMembership } from './group-admin-membership.entity.js';
import { GroupsPortalController } from './groups.portal.controller.js';
import { GroupsService } from './groups.service.js';
import { GroupRedirectUrl, ProgramGroup } from './program-group.entity.js';

/** Groups, their redirect URLs and their group admins. */
@Module({
  imports: [MikroOrmModule.forFeature([ProgramGroup, GroupRedirectUrl, GroupAdminMembership])],
  controllers: [GroupsPortalController],
  providers: [GroupsService],
  exports: [GroupsService],
})
export class GroupsModule {}
