import { Module, type DynamicModule } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ConfigModule, SandboxConfig } from '@opendsp/config';
import { HealthModule } from '@opendsp/health';
import { loggingModule } from '@opendsp/logging';
import { sandboxOrmConfig } from './database/sandbox-orm.config.js';
import { ClockModule } from './clock/clock.module.js';
import { SandboxHomeModule } from './home/sandbox-home.module.js';
import { OAuthModule } from './oauth/index.js';
import { FaultsModule } from './faults/faults.module.js';
import { MeasurementsModule } from './measurements/index.js';
import { NotificationsModule } from './notifications/index.js';
import { RateLimitsModule } from './rate-limits/index.js';
import { StagingToolModule } from './staging-tool/index.js';

/** The OMRON sandbox: an offline stand-in for OMRON's Partner API, OAuth server and staging tool. */
@Module({})
export class SandboxModule {
  static forRoot(config: SandboxConfig): DynamicModule {
    return {
      module: SandboxModule,
      imports: [
        ConfigModule.register(SandboxConfig, config),
        loggingModule(config.log),
        MikroOrmModule.forRootAsync({
          driver: PostgreSqlDriver,
          inject: [SandboxConfig],
          useFactory: (sandboxConfig: SandboxConfig) => ({ ...sandboxOrmConfig(sandboxConfig.database), registerRequestContext: true }),
        }),
        HealthModule,
        ClockModule,
        SandboxHomeModule,
        OAuthModule,
        FaultsModule,
        RateLimitsModule,
        NotificationsModule,
        MeasurementsModule,
        StagingToolModule,
      ],
    };
  }
}
