import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminAuthModule } from '@opendsp/admin-auth';
import { DataViewsModule } from '@opendsp/data-views';
import { ExportsPortalModule } from '@opendsp/exports';
import { GroupsModule } from '@opendsp/groups';
import { ParticipantsPortalModule } from '@opendsp/participants';
import { WebhooksPortalModule } from '@opendsp/webhooks';
import { AlertsPortalModule } from '@opendsp/alerts';
import { InsightsPortalModule } from '@opendsp/insights';
import { AdminsModule } from '../admins/admins.module.js';
import { AuditPageModule } from '../audit/audit-page.module.js';
import { DevModule } from '../dev/dev.module.js';
import { HomeModule } from '../home/home.module.js';
import { PortalExceptionFilter } from './portal-exception.filter.js';

/** The admin portal: sign-in, sessions and access rules, and every portal page. Served by the web roles only. */
@Module({
  imports: [
    AdminAuthModule,
    GroupsModule,
    HomeModule,
    AdminsModule,
    AuditPageModule,
    DevModule,
    ParticipantsPortalModule,
    DataViewsModule,
    ExportsPortalModule,
    WebhooksPortalModule,
    AlertsPortalModule,
    InsightsPortalModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: PortalExceptionFilter }],
})
export class PortalModule {}
