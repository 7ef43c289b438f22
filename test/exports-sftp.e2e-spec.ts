import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadDspConfig } from '@opendsp/config';
import {
  SftpDelivery,
  SftpDeliveryFile,
  SftpDeliveryService,
  SftpDestination,
  SftpDestinationsService,
  type DeliveryOutcome,
} from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { NEXT_CHANGE_SEQ, ReadingsRepository, lockChangeSequence, type ExportKind, type MeasurementKind } from '@opendsp/measurements';
import type { Participant } from '@opendsp/participants';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase, freePort, type TestDatabase } from './support/test-database.js';
import { addParticipant, insertActivityHours, insertReadings, series, setEnrollmentStatus } from './support/readings.js';
import { createDestination, deliveredFiles, expectedKeys, readingKey, sha256, type DeliveredFile } from './support/sftp-delivery-checks.js';
import { sshKeyPair, startSftpServer, type TestSftpServer } from './support/sftp-server.js';
import { testDspEnv } from './support/test-environment.js';

const PASSWORD = 'sftp password for tests';
const STAMP_FOLDER = /^inbox\/(data|ecgdata)\/acme\/(\w+)\/([0-9A-Z]{12})\/(\d{14})\/(\d{3})\.csv$/;

describe(SftpDeliveryService.name, () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let em: EntityManager;
  let server: TestSftpServer;
  let deliveries: SftpDeliveryService;
  let destinations: SftpDestinationsService;
  let study: ProgramGroup;
  let pilot: ProgramGroup;
  let ann: Participant;
  let ben: Participant;
  let cleo: Participant;
  let dan: Participant;
  const clientKey = sshKeyPair();

  /** Delivered files of one kind and group (all deliveries so far), by folder. */
  function filesOf(kind: ExportKind, group: ProgramGroup): DeliveredFile[] {
    return deliveredFiles(server.root, server.files()).filter((file) => {
      const match = STAMP_FOLDER.exec(file.path);
      return match?.[2] === kind && match[3] === group.groupId;
    });
  }

  function keysOf(files: DeliveredFile[], kind: MeasurementKind): string[] {
    return files.flatMap((file) => file.rows.map((row) => readingKey(row, kind)));
  }

  async function deliver(destination: SftpDestination): Promise<DeliveryOutcome> {
    return deliveries.deliver(destination.id);
  }

  async function reload(destination: SftpDestination): Promise<SftpDestination> {
    return em.fork().findOneOrFail(SftpDestination, destination.id);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadDspConfig(
      testDspEnv({
        DATABASE_URL: database.settings.url,
        PROCESS_ROLE: 'web',
        DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
        EXPORT_PARTNER_ID: 'acme',
        SFTP_ROWS_PER_FILE: '40',
        SFTP_ECG_ROWS_PER_FILE: '3',
        SFTP_MAX_FILES_PER_FOLDER: '3',
        SFTP_RETRY_BASE_SECONDS: '60',
        SFTP_RETRY_MAX_SECONDS: '200',
        SFTP_TIMEOUT_SECONDS: '5',
        // The test SFTP server listens on loopback, which destinations may only use when allowed.
        EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: 'true',
      }),
    );
    [app, server] = await Promise.all([
      createDspApp(config),
      startSftpServer({ username: 'dsp', password: PASSWORD, publicKey: clientKey.public }),
    ]);
    await app.init();
    mkdirSync(join(server.root, 'inbox'));
    em = app.get(MikroORM).em.fork();
    deliveries = app.get(SftpDeliveryService);
    destinations = app.get(SftpDestinationsService);

    study = new ProgramGroup('Study');
    pilot = new ProgramGroup('Pilot');
    await em.persist([study, pilot]).flush();
    ann = await addParticipant(em, study, { internalCustomerId: 'A-1' });
    ben = await addParticipant(em, study, { internalCustomerId: '患者-2' });
    cleo = await addParticipant(em, study, { status: 'withdrawn', internalCustomerId: 'C-3' });
    dan = await addParticipant(em, pilot, { internalCustomerId: '=cmd|calc' });
    await insertReadings(em, 'blood_pressure', ann, series(120, { firstId: 1 }));
    await insertReadings(em, 'blood_pressure', cleo, series(5, { firstId: 1 }));
    await insertReadings(em, 'blood_pressure', ben, series(10, { firstId: 1 }));
    await insertReadings(em, 'ecg', ann, series(7, { firstId: 50 }));
    await insertReadings(em, 'weight', ben, series(3, { firstId: 60 }));
    await insertReadings(em, 'blood_pressure', dan, series(2, { firstId: 70 }));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await server?.close();
    await database?.drop();
  });

  it('delivers the consented participants’ readings in the documented layout, files that parse back to exactly the database rows, with a manifest', async () => {
    const destination = await createDestination(destinations, {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      kinds: ['blood_pressure', 'weight', 'ecg'],
      groupIds: [study.groupId, pilot.groupId],
    });
    const outcome = await deliver(destination);
    expect(outcome).toMatchObject({ status: 'succeeded' });

    const all = server.files();
    expect(all.filter((path) => path.includes('.part'))).toEqual([]);
    for (const path of all.filter((name) => name.endsWith('.csv'))) expect(path).toMatch(STAMP_FOLDER);
    // 130 blood pressure readings in the study at 40 per file, at most 3 files per folder: 120 now, 10 next time.
    const bp = filesOf('blood_pressure', study);
    expect(bp.map((file) => [file.path.slice(-7), file.rows.length])).toEqual([
      ['001.csv', 40],
      ['002.csv', 40],
      ['003.csv', 40],
    ]);
    const ecg = filesOf('ecg', study);
    expect(ecg.map((file) => [file.path.split('/').slice(0, 3).join('/'), file.rows.length])).toEqual([
      ['inbox/ecgdata/acme', 3],
      ['inbox/ecgdata/acme', 3],
      ['inbox/ecgdata/acme', 1],
    ]);
    expect(keysOf(ecg, 'ecg').sort()).toEqual((await expectedKeys(em, 'ecg', study.id)).sort());
    expect(keysOf(filesOf('weight', study), 'weight').sort()).toEqual((await expectedKeys(em, 'weight', study.id)).sort());
    const pilotRows = filesOf('blood_pressure', pilot).flatMap((file) => file.rows);
    expect(pilotRows.map((row) => row.internal_customer_id)).toEqual(['=cmd|calc', '=cmd|calc']);
    expect(keysOf(filesOf('blood_pressure', pilot), 'blood_pressure')).toEqual(await expectedKeys(em, 'blood_pressure', pilot.id));
    // Nothing of the withdrawn participant, nothing of kinds the destination does not take.
    expect(bp.flatMap((file) => file.rows).some((row) => row.ogsc_id === cleo.ogscId)).toBe(false);
    expect(all.some((path) => path.includes('/temperature/'))).toBe(false);

    // The manifest lists every file with its row count, size and SHA-256.
    const [manifestName] = all.filter((path) => path.startsWith('inbox/data/acme/manifests/'));
    const manifest = JSON.parse(readFileSync(join(server.root, manifestName), 'utf8')) as {
      files: { path: string; rows: number; bytes: number; sha256: string }[];
      totals: { files: number; rows: number };
    };
    const csvFiles = deliveredFiles(server.root, all);
    expect(manifest.files.map((file) => `inbox/${file.path}`).sort()).toEqual(csvFiles.map((file) => file.path).sort());
    for (const file of csvFiles) {
      expect(manifest.files.find((entry) => `inbox/${entry.path}` === file.path)).toEqual(
        expect.objectContaining({ rows: file.rows.length, bytes: file.bytes.length, sha256: sha256(file.bytes) }),
      );
    }
    expect(manifest.totals).toMatchObject({ files: csvFiles.length, rows: 120 + 7 + 3 + 2 });
    const history = await em.fork().find(SftpDelivery, { destination: destination.id });
    expect(history).toEqual([
      expect.objectContaining({ status: 'succeeded', fileCount: csvFiles.length, rowCount: '132', attempts: 1, trigger: 'schedule' }),
    ]);

    // The full folder left 10 readings: the destination is due again at once, and the next delivery brings exactly them.
    expect((await reload(destination)).nextRunAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await deliver(destination)).toMatchObject({ status: 'succeeded', files: 1, rows: 10 });
    const everything = filesOf('blood_pressure', study);
    expect(new Set(everything.map((file) => file.path.split('/')[5])).size).toBe(2);
    expect(keysOf(everything, 'blood_pressure').sort()).toEqual((await expectedKeys(em, 'blood_pressure', study.id)).sort());
    const next = (await reload(destination)).nextRunAt!;
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.toISOString()).toMatch(/T18:00:00\.000Z$/); // 03:00 in Tokyo

    // Later: new readings, and Ann withdraws. Only the new readings of those still in are delivered.
    await insertReadings(em, 'blood_pressure', ben, series(5, { firstId: 1000 }));
    await setEnrollmentStatus(em, ann, study, 'withdrawn');
    await insertReadings(em, 'blood_pressure', ann, series(4, { firstId: 2000 }));
    const before = new Set(server.files());
    expect(await deliver(destination)).toMatchObject({ status: 'succeeded', files: 1, rows: 5 });
    const added = deliveredFiles(
      server.root,
      server.files().filter((path) => !before.has(path)),
    );
    expect(added.flatMap((file) => file.rows).map((row) => [row.ogsc_id, row.measurement_id])).toEqual(
      [1000, 1001, 1002, 1003, 1004].map((id) => [ben.ogscId, String(id)]),
    );
    const delivered = keysOf(filesOf('blood_pressure', study), 'blood_pressure');
    expect(new Set(delivered).size).toBe(delivered.length);

    // Nothing new: no files, no history entry, no connection needed.
    const files = server.files();
    expect(await deliver(destination)).toEqual({ status: 'nothing_new' });
    expect(server.files()).toEqual(files);
    expect(await em.fork().count(SftpDelivery, { destination: destination.id })).toBe(3);
    expect(await reload(destination)).toMatchObject({ lastOutcome: 'nothing_new', consecutiveFailures: 0 });
  });

  it('delivers activity hours as their own kind in their own folder, exactly the database rows, never splitting a day across files', async () => {
    const days = new Date('2026-11-10T15:00:00Z');
    const eve = await addParticipant(em, study, { internalCustomerId: 'E-5' });
    await insertReadings(em, 'activity', eve, series(4, { firstId: 900, start: days, stepMs: 86_400_000 }));
    await insertReadings(em, 'activity', cleo, series(1, { firstId: 920, start: days }));
    const allHours = Array.from({ length: 24 }, (_, hour) => hour);
    for (const id of [900, 901, 902, 903]) await insertActivityHours(em, eve, id, allHours);
    await insertActivityHours(em, cleo, 920, [1, 2]);
    const destination = await createDestination(destinations, {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      kinds: ['activity_hourly'],
      groupIds: [study.groupId],
    });
    expect(await deliver(destination)).toMatchObject({ status: 'succeeded', files: 2, rows: 96 });

    const files = filesOf('activity_hourly', study);
    for (const file of files) expect(file.path).toMatch(/^inbox\/data\/acme\/activity_hourly\/[0-9A-Z]{12}\/\d{14}\/00[12]\.csv$/);
    // 40 rows a file, but a day's 24 hours stay together: each file ends after the day that filled it.
    expect(files.map((file) => file.rows.length)).toEqual([48, 48]);
    const dayFiles = new Map<string, Set<string>>();
    for (const file of files)
      for (const row of file.rows) dayFiles.set(row.change_seq, (dayFiles.get(row.change_seq) ?? new Set()).add(file.path));
    expect([...dayFiles.values()].map((paths) => paths.size)).toEqual([1, 1, 1, 1]);
    const key = (row: Record<string, string>) =>
      [
        row.ogsc_id,
        row.measurement_id,
        row.hour,
        row.steps,
        row.aerobic_steps,
        row.calories_kcal,
        row.distance_original,
        row.change_seq,
      ].join('|');
    const expected = await em.getConnection().execute<Record<string, string>[]>(
      `select p.ogsc_id, a.upstream_id::text as measurement_id, h.hour::text as hour, h.steps::text as steps,
              h.aerobic_steps::text as aerobic_steps, h.calories_kcal::text as calories_kcal,
              h.distance_original::text as distance_original, a.change_seq::text as change_seq
         from activity_hourly_reading h join activity_reading a on a.id = h.activity_id join participant p on p.id = a.participant_id
        where a.participant_id = ?
        order by a.change_seq, h.hour`,
      [eve.id],
    );
    expect(files.flatMap((file) => file.rows.map(key))).toEqual(expected.map(key));

    // Paging on (change_seq, hour): pages of 5 rows cut through days and still give each hour exactly once.
    const pages = app
      .get(ReadingsRepository)
      .changeCsvPages(
        em.fork(),
        'activity_hourly',
        { groupUuid: study.id, groupId: study.groupId, afterSeq: '0', upToSeq: expected.at(-1)!.change_seq },
        { timeZone: 'Asia/Tokyo', escapeFormulas: false },
        5,
      );
    const paged: string[][] = [];
    for await (const page of pages) paged.push(...page.keys);
    expect(paged).toEqual(expected.map((row) => [row.change_seq, row.hour]));

    // A day that changes is sent again whole, under its new change_seq.
    await em.fork().transactional(async (tx) => {
      await lockChangeSequence(tx);
      await tx.execute(`update activity_reading set change_seq = ${NEXT_CHANGE_SEQ} where participant_id = ? and upstream_id = 901`, [
        eve.id,
      ]);
    });
    expect(await deliver(destination)).toMatchObject({ status: 'succeeded', files: 1, rows: 24 });
  });

  it('refuses a server whose host key is not the pinned one, and a destination with no key pinned', async () => {
    const other = sshKeyPair();
    const pinned = `SHA256:${'A'.repeat(43)}`;
    const destination = await createDestination(destinations, {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: pinned,
      kinds: ['blood_pressure'],
      groupIds: [pilot.groupId],
    });
    const before = server.files();
    const outcome = await deliver(destination);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect((outcome as { error: string }).error).toContain(`presented host key ${server.fingerprint}, not the pinned ${pinned}`);
    expect(server.files()).toEqual(before);
    expect(await destinations.testConnection(destination.id, { login: 'test' })).toEqual({
      ok: false,
      problem: 'host_key_mismatch',
      message: expect.stringContaining('refused to connect'),
      presentedFingerprint: server.fingerprint,
    });
    expect(other.private).not.toBe(server.hostKey);

    const unpinned = await createDestination(destinations, {
      password: PASSWORD,
      port: String(server.port),
      kinds: ['weight'],
      groupIds: [pilot.groupId],
    });
    await insertReadings(em, 'weight', dan, series(1, { firstId: 3000 }));
    expect(await deliver(unpinned)).toMatchObject({ status: 'failed', error: expect.stringContaining('no host key is pinned') });
    expect(await destinations.testConnection(unpinned.id, { login: 'test' })).toMatchObject({
      ok: false,
      problem: 'host_key_not_pinned',
      presentedFingerprint: server.fingerprint,
    });
    expect(server.files()).toEqual(before);
  });

  it('retries a failed delivery with growing pauses and resumes it in the same folder once the server is back', async () => {
    const destination = await createDestination(destinations, {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      remoteBaseDir: 'retry',
      kinds: ['blood_pressure'],
      groupIds: [pilot.groupId],
    });
    mkdirSync(join(server.root, 'retry'));
    const { port, root, hostKey } = server;
    await server.stop();
    try {
      const first = Date.now();
      expect(await deliver(destination)).toMatchObject({ status: 'failed', error: expect.stringContaining('could not be reached') });
      const failed = Date.now();
      let state = await reload(destination);
      expect(state.consecutiveFailures).toBe(1);
      // A minute after the failure, which happened between `first` and `failed` however long it took.
      expect(state.nextRunAt!.getTime() - first).toBeGreaterThanOrEqual(59_000);
      expect(state.nextRunAt!.getTime() - failed).toBeLessThanOrEqual(61_000);
      const second = Date.now();
      expect(await deliver(destination)).toMatchObject({ status: 'failed' });
      state = await reload(destination);
      expect(state.consecutiveFailures).toBe(2);
      expect(state.nextRunAt!.getTime() - second).toBeGreaterThanOrEqual(119_000);
      expect(await deliver(destination)).toMatchObject({ status: 'failed' });
      // Capped by SFTP_RETRY_MAX_SECONDS.
      expect((await reload(destination)).nextRunAt!.getTime() - Date.now()).toBeLessThanOrEqual(200_000);
    } finally {
      server = await startSftpServer({ username: 'dsp', password: PASSWORD, publicKey: clientKey.public, hostKey, port }, root);
    }
    const [failed] = await em.fork().find(SftpDelivery, { destination: destination.id });
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, error: expect.stringContaining('could not be reached') });
    expect(await deliver(destination)).toMatchObject({ status: 'succeeded', deliveryId: failed.id });
    const [done] = await em.fork().find(SftpDelivery, { destination: destination.id });
    expect(done).toMatchObject({ status: 'succeeded', attempts: 4, error: null, stamp: failed.stamp });
    expect(server.files().filter((path) => path.startsWith('retry/data/'))).toEqual([
      `retry/data/acme/blood_pressure/${pilot.groupId}/${failed.stamp}/001.csv`,
      `retry/data/acme/manifests/${failed.stamp}.json`,
    ]);
    expect(await reload(destination)).toMatchObject({ consecutiveFailures: 0, lastOutcome: 'delivered' });
  });

  it('signs in with a private key, and "test connection" says what is wrong in words an admin can act on', async () => {
    const withKey = await createDestination(destinations, {
      authMethod: 'private_key',
      privateKey: clientKey.private,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      kinds: ['blood_pressure'],
      groupIds: [study.groupId],
    });
    expect(await destinations.testConnection(withKey.id, { login: 'test' })).toEqual({
      ok: true,
      problem: null,
      message: expect.any(String),
      presentedFingerprint: server.fingerprint,
    });
    // The probe file was removed again.
    expect(server.files().some((path) => path.includes('opendsp-connection-test'))).toBe(false);

    const cases: [Record<string, unknown>, string][] = [
      [{ password: 'wrong password', port: String(server.port) }, 'auth_failed'],
      [{ password: PASSWORD, port: String(server.port), remoteBaseDir: 'no/such/folder' }, 'base_dir_missing'],
      [{ password: PASSWORD, port: String(await freePort()) }, 'unreachable'],
    ];
    for (const [values, problem] of cases) {
      const destination = await createDestination(destinations, {
        hostKeyFingerprint: server.fingerprint,
        kinds: ['weight'],
        groupIds: [pilot.groupId],
        ...values,
      });
      expect(await destinations.testConnection(destination.id, { login: 'test' })).toMatchObject({ ok: false, problem });
    }
  });

  it('runs only enabled destinations that are due, and "deliver now" runs one at once as a manual delivery', async () => {
    const now = new Date();
    const base = {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      kinds: ['blood_pressure'],
      groupIds: [pilot.groupId],
    };
    const later = await createDestination(destinations, { ...base, name: 'later', remoteBaseDir: 'later' });
    const off = await createDestination(destinations, { ...base, name: 'off', remoteBaseDir: 'off', enabled: '' });
    const asked = await createDestination(destinations, { ...base, name: 'asked', remoteBaseDir: 'asked' });
    for (const folder of ['later', 'off', 'asked']) mkdirSync(join(server.root, folder));
    await em.fork().nativeUpdate(SftpDestination, { id: off.id }, { nextRunAt: new Date(now.getTime() - 60_000) });
    // Everything else from the tests above is not due either.
    await em
      .fork()
      .nativeUpdate(SftpDestination, { id: { $nin: [off.id, asked.id, later.id] } }, { nextRunAt: new Date(now.getTime() + 3_600_000) });

    await destinations.requestRun(asked.id, { login: 'test' });
    const outcomes = await deliveries.runDue();
    expect(outcomes).toEqual([expect.objectContaining({ status: 'succeeded', files: 1, rows: 2 })]);
    const [delivery] = await em.fork().find(SftpDelivery, { destination: asked.id });
    expect(delivery.trigger).toBe('manual');
    expect(await reload(asked)).toMatchObject({ runRequestedAt: null, lastOutcome: 'delivered' });
    expect(await em.fork().count(SftpDelivery, { destination: { $in: [later.id, off.id] } })).toBe(0);
    expect(await em.fork().count(SftpDeliveryFile, { delivery: { destination: asked.id } })).toBe(1);

    // "Deliver now" also works while the schedule is switched off.
    await destinations.requestRun(off.id, { login: 'test' });
    expect(await deliveries.runDue()).toEqual([expect.objectContaining({ status: 'succeeded', files: 1, rows: 2 })]);
    expect(await reload(off)).toMatchObject({ enabled: false, runRequestedAt: null, lastOutcome: 'delivered' });
    expect(await deliveries.runDue()).toEqual([]);
  });

  it('never runs two deliveries of one destination at once, in one process or across processes', async () => {
    const destination = await createDestination(destinations, {
      password: PASSWORD,
      port: String(server.port),
      hostKeyFingerprint: server.fingerprint,
      remoteBaseDir: 'once',
      kinds: ['blood_pressure'],
      groupIds: [pilot.groupId],
    });
    mkdirSync(join(server.root, 'once'));
    // Another process is delivering to it: its connection is alive and its lease runs for two more seconds.
    const other = new pg.Client({ connectionString: database.settings.url });
    await other.connect();
    await other.query(
      `update sftp_destination set delivery_lock_pid = pg_backend_pid(), delivery_lock_until = now() + interval '2 seconds' where id = $1`,
      [destination.id],
    );
    expect(await deliver(destination)).toEqual({ status: 'busy' });
    expect(await em.fork().count(SftpDelivery, { destination: destination.id })).toBe(0);
    // It dies. PostgreSQL ends its backend at once; the embedded database (one backend for every connection)
    // has only the lease to go by. Either way the destination is free again within the lease.
    await other.end();
    const started = Date.now();
    let outcome = await deliver(destination);
    while (outcome.status === 'busy' && Date.now() - started < 5000) {
      await sleep(100);
      outcome = await deliver(destination);
    }
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(await reload(destination)).toMatchObject({ deliveryLockPid: null, deliveryLockUntil: null });

    await insertReadings(em, 'blood_pressure', dan, series(1, { firstId: 4000 }));
    const both = await Promise.all([deliver(destination), deliver(destination)]);
    expect(both.map((result) => result.status).sort()).toEqual(['busy', 'succeeded']);
    expect(await em.fork().count(SftpDelivery, { destination: destination.id })).toBe(2);
  });
});
