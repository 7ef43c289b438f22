import { Module } from '@nestjs/common';
import { AdminAuthModule } from '@opendsp/admin-auth';
import { GroupsModule } from '@opendsp/groups';
import { AdminsPortalController } from './admins.portal.controller.js';
import { AdminsService } from './admins.service.js';

@Module({ imports: [AdminAuthModule, GroupsModule], controllers: [AdminsPortalController], providers: [AdminsService] })
export class AdminsModule {}
