import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DspConfig } from '@opendsp/config';
import { dspOrmConfig } from './dsp-orm.config.js';
import { assertEnvironmentStamp } from './environment-stamp.js';

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

  async onModuleInit(): Promise<void> {
    await assertEnvironmentStamp(this.orm.em, { type: this.config.environment.type, id: this.config.environment.id });
  }
}
