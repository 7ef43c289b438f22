import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ViewsFolder } from '@opendsp/views';
import { GroupAdminMembership } from './group-admin-membership.entity.js';
import { GroupLookups } from './group-lookups.service.js';
import { GroupPagePanels } from './group-page-panels.service.js';
import { GroupsPortalController } from './groups.portal.controller.js';
import { GroupsService } from './groups.service.js';
import { GroupRedirectUrl, ProgramGroup } from './program-group.entity.js';

/** Groups, their redirect URLs and their group admins; other rooms add panels to a group's page through GroupPagePanels. */
@ViewsFolder(import.meta.url)
@Module({
  imports: [MikroOrmModule.forFeature([ProgramGroup, GroupRedirectUrl, GroupAdminMembership])],
  controllers: [GroupsPortalController],
  providers: [GroupsService, GroupPagePanels, GroupLookups],
  exports: [GroupsService, GroupPagePanels, GroupLookups],
})
export class GroupsModule {}
