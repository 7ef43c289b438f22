import { Module } from '@nestjs/common';
import { GroupsModule } from '@opendsp/groups';
import { HomePortalController } from './home.portal.controller.js';

@Module({ imports: [GroupsModule], controllers: [HomePortalController] })
export class HomeModule {}
