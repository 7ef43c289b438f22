import { Module } from '@nestjs/common';
import { MeasurementsModule } from '../measurements/index.js';
import { RegisteredAppsModule } from '../registered-apps/index.js';
import { StagingToolAdminController } from './staging-tool.admin.controller.js';
import { StagingToolPortalController } from './staging-tool.portal.controller.js';
import { StagingToolService } from './staging-tool.service.js';
import { ToolSessions } from './tool-sessions.service.js';

/** OMRON's staging tool: test users, generated and uploaded readings; pages and a JSON admin API. */
@Module({
  imports: [MeasurementsModule, RegisteredAppsModule],
  controllers: [StagingToolPortalController, StagingToolAdminController],
  providers: [StagingToolService, ToolSessions],
  exports: [StagingToolService],
})
export class StagingToolModule {}
