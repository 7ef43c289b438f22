import { Module, type DynamicModule } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ConfigModule, DspConfig } from '@opendsp/config';
import { sourceAllowed } from '@opendsp/web-security';
import { ApiDisabledModule, ApiModule } from '@opendsp/api';
import { AuditModule } from '@opendsp/audit';
import { ConsentModule } from '@opendsp/consent';
import { CryptoModule } from '@opendsp/crypto';
import { DashboardSnapshotsModule } from '@opendsp/data-views';
import { DspDatabaseModule } from '@opendsp/database';
import { ExportsModule } from '@opendsp/exports';
import { WebhooksModule } from '@opendsp/webhooks';
import { AlertsModule } from '@opendsp/alerts';
import { InsightsModule } from '@opendsp/insights';
import { HealthModule } from '@opendsp/health';
import { requestValidationPipe } from '@opendsp/i18n';
import { loggingModule } from '@opendsp/logging';
import { MailModule } from '@opendsp/mail';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { SyncModule } from '@opendsp/sync';
import { TokensModule } from '@opendsp/tokens';
import { PortalModule } from './portal/portal.module.js';

/**
 * The platform's composition root. One build serves every process role: `web` serves pages and the
 * API, `worker` runs scheduled and queued work (and answers health probes), `all` does both.
 */
@Module({})
export class DspModule {
  static forRoot(config: DspConfig): DynamicModule {
    const servesWeb = config.processRole !== 'worker';
    const runsWork = config.processRole !== 'web';
    return {
      module: DspModule,
      imports: [
        ConfigModule.register(DspConfig, config),
        loggingModule(config.log),
        DspDatabaseModule.forRoot(),
        // Readiness details (which check failed, the database's own words) only for the allowlisted addresses.
        HealthModule.withDetailsFor((settings: DspConfig) => sourceAllowed(settings), [DspConfig]),
        CryptoModule,
        TokensModule,
        AuditModule,
        MailModule,
        ParticipantsModule,
        MeasurementsModule,
        SyncModule.forRoles({ web: servesWeb, worker: runsWork }),
        DashboardSnapshotsModule,
        ExportsModule,
        WebhooksModule,
        AlertsModule,
        InsightsModule,
        ...(servesWeb ? [PortalModule] : []),
        ...(servesWeb ? [ConsentModule] : []),
        // Without `api` among the environment's data transfer methods, /api/v1 answers 404 problems.
        ...(servesWeb ? [config.environment.dataTransferMethods.includes('api') ? ApiModule : ApiDisabledModule] : []),
        ...(runsWork ? [ScheduleModule.forRoot()] : []),
      ],
      // One ValidationPipe for every DTO: the API turns its failures into problem details, portal pages into field errors.
      providers: [{ provide: APP_PIPE, useFactory: requestValidationPipe }],
    };
  }
}
