import { Module } from '@nestjs/common';
import { AuditPortalController } from './audit.portal.controller.js';

@Module({ controllers: [AuditPortalController] })
export class AuditPageModule {}
