import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AlertsModule } from '@opendsp/alerts';
import { AuditModule } from '@opendsp/audit';
import { ConfigModule, DspConfig } from '@opendsp/config';
import { CryptoModule } from '@opendsp/crypto';
import { DspDatabaseModule } from '@opendsp/database';
import { InsightsModule } from '@opendsp/insights';
import { loggingModule } from '@opendsp/logging';
import { MailModule } from '@opendsp/mail';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { RawPageReplay, ReadingWriter } from '@opendsp/sync';
import { TokensModule } from '@opendsp/tokens';

/**
 * What `npm run sync:renormalise` loads: the rooms that take part when the app writes readings (and what they need:
 * tokens, crypto, audit, mail), so a replayed page's readings land through the same `ReadingsLanded` listeners as a
 * pull's (alerts raised, insights' month summary kept). Not SyncModule (its job queue would start and work pulls) nor
 * ScheduleModule (the rooms' schedulers stay inert): the command writes readings and nothing else. A test compares
 * its listeners with a worker process's (test/sync-renormalise-listeners.e2e-spec.ts).
 */
@Module({})
export class RenormaliseModule {
  static forRoot(config: DspConfig): DynamicModule {
    return {
      module: RenormaliseModule,
      imports: [
        ConfigModule.register(DspConfig, config),
        loggingModule(config.log),
        DspDatabaseModule.forRoot(),
        CryptoModule,
        TokensModule,
        AuditModule,
        MailModule,
        ParticipantsModule,
        MeasurementsModule,
        AlertsModule,
        InsightsModule,
      ],
      providers: [ReadingWriter, RawPageReplay],
    };
  }
}

/**
 * Starts the command's application context (no HTTP server, no background work); close it with `close()`. A
 * database that is missing, unreachable, unmigrated or of another environment rejects with one sentence, as the
 * platform's start does. What the rooms log while it runs goes through the app's logging (LOG_LEVEL, redaction).
 */
export async function createRenormaliseContext(config: DspConfig): Promise<INestApplicationContext> {
  // Nest's start-up lines (a line per module) are not the command's output; an error it meets is thrown, not logged.
  const app = await NestFactory.createApplicationContext(RenormaliseModule.forRoot(config), { logger: false, abortOnError: false });
  app.useLogger(app.get(Logger));
  return app;
}
