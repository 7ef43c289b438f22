import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { loadDspConfig } from '@opendsp/config';
import { ReadingsLanded } from '@opendsp/measurements';
import { SyncJobs } from '@opendsp/sync';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createRenormaliseContext } from '../apps/dsp/src/cli/renormalise.module.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

/**
 * `npm run sync:renormalise` writes readings outside the app, in an application context of its own
 * (RenormaliseModule). A room that derives something from readings registers a `ReadingsLanded` listener when its
 * module starts; a room the command's module does not load would silently miss every replayed reading. So the
 * command is compared with a worker process, the role that writes readings.
 */
describe('RenormaliseModule (the sync:renormalise command) beside the app', () => {
  let database: TestDatabase;
  let worker: INestApplicationContext;
  let command: INestApplicationContext;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A small pool: the server's connections are shared with other test runs.
    const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, DATABASE_POOL_MAX: '2', PROCESS_ROLE: 'worker' }));
    const app = await createDspApp(config, { shutdownHooks: false });
    worker = await app.init();
    command = await createRenormaliseContext(config);
  }, 120_000);
  afterAll(async () => {
    await command?.close();
    await worker?.close();
    await database?.drop();
  });

  it('registers the same readings-landed listeners as a worker process', () => {
    const appListeners = worker.get(ReadingsLanded).listenerNames;
    expect(appListeners).toEqual(expect.arrayContaining(['alerts', 'insights.reading-days']));
    expect(command.get(ReadingsLanded).listenerNames).toEqual(appListeners);
  });

  it('starts no job queue and no schedulers, which the worker has: the command only writes readings', () => {
    // SyncModule's SyncJobs starts pg-boss when its module starts; ScheduleModule would run the rooms' @Interval work.
    expect([worker.get(SyncJobs), worker.get(SchedulerRegistry)]).toEqual([expect.any(SyncJobs), expect.any(SchedulerRegistry)]);
    expect(() => command.get(SyncJobs)).toThrow();
    expect(() => command.get(SchedulerRegistry)).toThrow();
  });
});
