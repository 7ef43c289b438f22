import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import {
  SftpDelivery,
  SftpDeliveryFile,
  SftpDeliveryService,
  SftpDestinationsService,
  type DeliveryOutcome,
  type SftpDestination,
} from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { buildForChildProcesses } from './support/child-build.js';
import { addParticipant, insertReadings, series } from './support/readings.js';
import { createDestination, deliveredFiles, expectedKeys, readingKey, sha256 } from './support/sftp-delivery-checks.js';
import { startSftpServer, type TestSftpServer } from './support/sftp-server.js';
import { testDspEnv } from './support/test-environment.js';

const PASSWORD = 'sftp password for crash tests';

describe('SFTP delivery interrupted by a killed process', () => {
  let database: TestDatabase;
  let build: Awaited<ReturnType<typeof buildForChildProcesses>>;
  let app: NestExpressApplication;
  let em: EntityManager;
  let server: TestSftpServer;
  let env: Record<string, string | undefined>;
  let group: ProgramGroup;

  /** Starts a second platform process delivering to `destination`, and kills it with SIGKILL once `stopped` resolves. */
  async function deliverUntilKilled(destination: SftpDestination, stopped: Promise<void>): Promise<void> {
    const child = spawn(process.execPath, [join(build.dir, 'test/support/sftp-delivery-worker.js'), destination.id], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = once(child, 'exit');
    await Promise.race([stopped, exited.then(() => Promise.reject(new Error(`the delivery finished before it was stopped: ${printed}`)))]);
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
  }

  /**
   * The next run, here: waits until the dead process's claim is void (PostgreSQL notices at once; the embedded
   * database only by its lease, 3 × SFTP_TIMEOUT_SECONDS).
   */
  async function resume(destination: SftpDestination): Promise<DeliveryOutcome> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const outcome = await app.get(SftpDeliveryService).deliver(destination.id);
      if (outcome.status !== 'busy') return outcome;
      await sleep(100);
    }
    throw new Error('the destination stayed locked');
  }

  /** Every reading delivered to `folder` exactly once, and exactly the readings in the database. */
  async function expectDeliveredExactlyOnce(folder: string): Promise<void> {
    const files = deliveredFiles(
      server.root,
      server.files().filter((path) => path.startsWith(`${folder}/`)),
    );
    const keys = files.flatMap((file) => file.rows.map((row) => readingKey(row, 'blood_pressure')));
    expect(keys).toHaveLength(175);
    expect(new Set(keys).size).toBe(175);
    expect(keys.sort()).toEqual((await expectedKeys(em, 'blood_pressure', group.id)).sort());
    expect(server.files().filter((path) => path.startsWith(`${folder}/`) && path.endsWith('.part'))).toEqual([]);
    const [manifestPath] = server.files().filter((path) => path.startsWith(`${folder}/data/acme/manifests/`));
    const manifest = JSON.parse(readFileSync(join(server.root, manifestPath), 'utf8')) as {
      files: { path: string; rows: number; sha256: string }[];
    };
    expect(manifest.files.map((file) => [file.path.slice(-7), file.rows])).toEqual([
      ['001.csv', 50],
      ['002.csv', 50],
      ['003.csv', 50],
      ['004.csv', 25],
    ]);
    for (const file of files)
      expect(manifest.files.find((entry) => `${folder}/${entry.path}` === file.path)?.sha256).toBe(sha256(file.bytes));
  }

  beforeAll(async () => {
    [database, build] = await Promise.all([createTestDatabase(), buildForChildProcesses()]);
    env = testDspEnv({
      DATABASE_URL: database.settings.url,
      PROCESS_ROLE: 'web',
      DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
      EXPORT_PARTNER_ID: 'acme',
      SFTP_ROWS_PER_FILE: '50',
      SFTP_TIMEOUT_SECONDS: '5',
      // The test SFTP server listens on loopback, which destinations may only use when allowed.
      EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: 'true',
    });
    [app, server] = await Promise.all([createDspApp(loadDspConfig(env)), startSftpServer({ username: 'dsp', password: PASSWORD })]);
    await app.init();
    em = app.get(MikroORM).em.fork();
    group = new ProgramGroup('Crash study');
    await em.persist(group).flush();
    const [first, second] = [await addParticipant(em, group), await addParticipant(em, group)];
    await insertReadings(em, 'blood_pressure', first, series(100, { firstId: 1 }));
    await insertReadings(em, 'blood_pressure', second, series(75, { firstId: 1 }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await server?.close();
    await database?.drop();
  });

  async function destinationIn(folder: string): Promise<SftpDestination> {
    mkdirSync(join(server.root, folder));
    return createDestination(app.get(SftpDestinationsService), {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      remoteBaseDir: folder,
      kinds: ['blood_pressure'],
      groupIds: [group.groupId],
    });
  }

  it('leaves no file under its final name when killed mid-upload, and the next run delivers the rest with no gap and no duplicate', async () => {
    const destination = await destinationIn('killed-mid-upload');
    // Hold the server at the second write into file 002 (its header is written, its rows are not): mid-upload.
    const stopped = new Promise<void>((resolve) => {
      server.hooks.beforeWrite = (path, offset) => {
        if (!path.endsWith('/002.csv.part') || offset === 0) return;
        resolve();
        return new Promise<void>(() => undefined);
      };
    });
    await deliverUntilKilled(destination, stopped);
    server.hooks.beforeWrite = undefined;

    const folder = server.files().filter((path) => path.startsWith('killed-mid-upload/'));
    expect(folder.map((path) => path.replace(/\/\d{14}\//, '/{stamp}/'))).toEqual([
      `killed-mid-upload/data/acme/blood_pressure/${group.groupId}/{stamp}/001.csv`,
      `killed-mid-upload/data/acme/blood_pressure/${group.groupId}/{stamp}/002.csv.part`,
    ]);
    const [partial] = folder.filter((path) => path.endsWith('.part'));
    expect(readFileSync(join(server.root, partial), 'utf8')).toMatch(/^ogsc_id,[^\n]*\r\n$/);
    const [interrupted] = await em.fork().find(SftpDelivery, { destination: destination.id });
    expect(interrupted).toMatchObject({ status: 'running', attempts: 1, fileCount: 1 });

    expect(await resume(destination)).toMatchObject({ status: 'succeeded', deliveryId: interrupted.id, files: 4, rows: 175 });
    const [resumed] = await em.fork().find(SftpDelivery, { destination: destination.id });
    expect(resumed).toMatchObject({ status: 'succeeded', attempts: 2, stamp: interrupted.stamp, fileCount: 4, rowCount: '175' });
    await expectDeliveredExactlyOnce('killed-mid-upload');
  }, 90_000);

  it('makes a file renamed but not yet recorded when the process died again under the same name, never twice', async () => {
    const destination = await destinationIn('killed-after-rename');
    const stopped = new Promise<void>((resolve) => {
      server.hooks.afterRename = (_from, to) => {
        if (!to.endsWith('/002.csv')) return;
        resolve();
        return new Promise<void>(() => undefined);
      };
    });
    await deliverUntilKilled(destination, stopped);
    server.hooks.afterRename = undefined;

    // 002.csv is on the server under its final name, but the platform never heard that the rename succeeded.
    const folder = server.files().filter((path) => path.startsWith('killed-after-rename/'));
    expect(folder.map((path) => path.slice(-7))).toEqual(['001.csv', '002.csv']);
    expect(await em.fork().count(SftpDeliveryFile, { delivery: { destination: destination.id } })).toBe(1);

    expect(await resume(destination)).toMatchObject({ status: 'succeeded', files: 4, rows: 175 });
    await expectDeliveredExactlyOnce('killed-after-rename');
  }, 90_000);
});
