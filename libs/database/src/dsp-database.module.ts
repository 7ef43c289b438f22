import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DspConfig } from '@opendsp/config';
import { dspOrmConfig } from './dsp-orm.config.js';
import { explainDatabaseError } from './database-unavailable.errors.js';
import { assertEnvironmentStamp } from './environment-stamp.helpers.js';

/** MikroORM for the platform; refuses to start against a database of another DSP environment. */
@Module({})
export class DspDatabaseModule implements OnModuleInit {
  constructor(
    private readonly orm: MikroORM,
    private readonly config: DspConfig,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: DspDatabaseModule,
      imports: [
        MikroOrmModule.forRootAsync({
          driver: PostgreSqlDriver,
          inject: [DspConfig],
          useFactory: (config: DspConfig) => ({ ...dspOrmConfig(config.database), registerRequestContext: true }),
        }),
      ],
    };
  }

  /**
   * The first query of the process: a database that is missing, unreachable or never migrated stops the start
   * with one sentence (DatabaseUnavailableError, EnvironmentMismatchError), not the driver's error object.
   */
  async onModuleInit(): Promise<void> {
    try {
      await assertEnvironmentStamp(this.orm.em, { type: this.config.environment.type, id: this.config.environment.id });
    } catch (error) {
      throw explainDatabaseError(error, this.config.database.url) ?? error;
    }
  }
}
