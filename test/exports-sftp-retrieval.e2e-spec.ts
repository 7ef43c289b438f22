import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import SftpClient from 'ssh2-sftp-client';
import { loadDspConfig } from '@opendsp/config';
import {
  RetrievalKeyForm,
  RetrievalRetentionService,
  SftpDelivery,
  SftpDeliveryService,
  SftpDestinationsService,
  SftpRetrievalKeysService,
  SftpRetrievalServer,
  type SftpDestination,
  type SftpRetrievalKey,
} from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { validateForm } from '@opendsp/i18n';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { addParticipant, insertReadings, series } from './support/readings.js';
import { createDestination } from './support/sftp-delivery-checks.js';
import { sshKeyPair } from './support/sftp-server.js';
import { createTestDatabase, freePort, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

type KeyPair = { private: string; public: string };
interface AuditRow {
  action: string;
  actor_login: string | null;
  target_id: string | null;
  detail: Record<string, unknown>;
}

describe(SftpRetrievalServer.name, () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let em: EntityManager;
  let port: number;
  let retrievalDir: string;
  let keyDir: string;
  let study: ProgramGroup;
  let pilot: ProgramGroup;
  let studyFeed: SftpDestination;
  let pilotFeed: SftpDestination;
  let studyKey: SftpRetrievalKey;
  let pilotKey: SftpRetrievalKey;
  const studyPair = sshKeyPair();
  const pilotPair = sshKeyPair();
  const revokedPair = sshKeyPair();
  const unknownPair = sshKeyPair();
  const clients: SftpClient[] = [];

  async function connect(username: string, pair: KeyPair): Promise<SftpClient> {
    const client = new SftpClient();
    clients.push(client);
    await client.connect({ host: '127.0.0.1', port, username, privateKey: pair.private, readyTimeout: 10_000, retries: 0 });
    // As the server does: without TCP no-delay each request/answer pair waits out Nagle's algorithm.
    (client as unknown as { client: { setNoDelay(noDelay: boolean): void } }).client.setNoDelay(true);
    return client;
  }

  /** Every file the client can see, walking from `/`. */
  async function walk(client: SftpClient, path = '/'): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await client.list(path)) {
      const child = `${path === '/' ? '' : path}/${entry.name}`;
      if (entry.type === 'd') found.push(...(await walk(client, child)));
      else found.push(child);
    }
    return found.sort();
  }

  /** Every file in a destination's folder on disk, as the tree names them. */
  function filesOnDisk(destination: SftpDestination, dir = join(retrievalDir, destination.id)): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? filesOnDisk(destination, path) : [`/${relative(join(retrievalDir, destination.id), path)}`];
      })
      .sort();
  }

  async function auditRows(action: string, keyId?: string): Promise<AuditRow[]> {
    return em
      .fork()
      .getConnection()
      .execute<AuditRow[]>(
        `select action, actor_login, target_id, detail from audit_event where action = ? ${keyId ? 'and target_id = ?' : ''} order by id`,
        keyId ? [action, keyId] : [action],
      );
  }

  async function addKey(destination: SftpDestination, name: string, pair: KeyPair): Promise<SftpRetrievalKey> {
    const form = await validateForm(RetrievalKeyForm, { name, publicKey: `${pair.public} partner@example` });
    if (!form.ok) throw new Error(JSON.stringify(form.errors));
    const outcome = await app.get(SftpRetrievalKeysService).add(destination.id, form.value, { login: 'test-admin' });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
    return outcome.key;
  }

  /** OpenSSH's sftp client in batch mode; a command starting with `-` may fail without ending the batch. */
  async function openSsh(username: string, pair: KeyPair, commands: string[]): Promise<{ code: number; out: string }> {
    const keyFile = join(keyDir, `${createHash('sha256').update(pair.private).digest('hex').slice(0, 12)}`);
    if (!existsSync(keyFile)) writeFileSync(keyFile, pair.private, { mode: 0o600 });
    const args = ['-b', '-', '-i', keyFile, '-P', String(port), '-F', '/dev/null'];
    for (const option of [
      'StrictHostKeyChecking=no',
      'UserKnownHostsFile=/dev/null',
      'IdentitiesOnly=yes',
      'IdentityAgent=none',
      'PasswordAuthentication=no',
      'KbdInteractiveAuthentication=no',
      'LogLevel=ERROR',
    ])
      args.push('-o', option);
    args.push(`${username}@127.0.0.1`);
    // Not spawnSync: the server answering it runs in this process.
    return new Promise((resolve, reject) => {
      const child = spawn('/usr/bin/sftp', args, { cwd: keyDir, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, out }));
      child.stdin.end(`${commands.join('\n')}\n`);
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    retrievalDir = mkdtempSync(join(tmpdir(), 'opendsp-retrieval-'));
    keyDir = mkdtempSync(join(tmpdir(), 'opendsp-retrieval-keys-'));
    const config = loadDspConfig(
      testDspEnv({
        DATABASE_URL: database.settings.url,
        DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
        EXPORT_PARTNER_ID: 'acme',
        SFTP_ROWS_PER_FILE: '40',
        SFTP_ECG_ROWS_PER_FILE: '3',
        SFTP_SERVER_PORT: String(port),
        SFTP_SERVER_HOST: '127.0.0.1',
        EXPORT_RETRIEVAL_DIR: retrievalDir,
        EXPORT_RETRIEVAL_RETENTION_DAYS: '30',
      }),
    );
    app = await createDspApp(config);
    await app.init();
    em = app.get(MikroORM).em.fork();

    study = new ProgramGroup('Study');
    pilot = new ProgramGroup('Pilot');
    await em.persist([study, pilot]).flush();
    const ann = await addParticipant(em, study);
    const ben = await addParticipant(em, study, { status: 'withdrawn' });
    const dan = await addParticipant(em, pilot);
    await insertReadings(em, 'blood_pressure', ann, series(90, { firstId: 1 }));
    await insertReadings(em, 'blood_pressure', ben, series(4, { firstId: 200 }));
    await insertReadings(em, 'ecg', ann, series(4, { firstId: 300 }));
    await insertReadings(em, 'blood_pressure', dan, series(5, { firstId: 400 }));

    const destinations = app.get(SftpDestinationsService);
    // Switched off: the worker's scheduler leaves them alone, and each test delivers when it wants.
    const retrieval = { mode: 'retrieval', host: '', enabled: '', password: '' };
    studyFeed = await createDestination(destinations, {
      ...retrieval,
      name: 'Acme study',
      username: 'acme-study',
      kinds: ['blood_pressure', 'ecg'],
      groupIds: [study.groupId],
    });
    pilotFeed = await createDestination(destinations, {
      ...retrieval,
      name: 'Acme pilot',
      username: 'acme-pilot',
      kinds: ['blood_pressure'],
      groupIds: [pilot.groupId],
    });
    studyKey = await addKey(studyFeed, 'Acme ETL', studyPair);
    pilotKey = await addKey(pilotFeed, 'Acme pilot ETL', pilotPair);
    const deliveries = app.get(SftpDeliveryService);
    expect(await deliveries.deliver(studyFeed.id)).toMatchObject({ status: 'succeeded', rows: 94 });
    expect(await deliveries.deliver(pilotFeed.id)).toMatchObject({ status: 'succeeded', rows: 5 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await app?.close();
    await database?.drop();
    for (const dir of [retrievalDir, keyDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is off unless SFTP_SERVER_PORT is set, and listens in worker roles when it is', () => {
    expect(loadDspConfig(testDspEnv()).exports.retrieval.serverPort).toBeNull();
    expect(app.get(SftpRetrievalServer).port).toBe(port);
  });

  it('serves a key its destination’s files, read-only, in the push layout with a manifest that matches what is read', async () => {
    const client = await connect('acme-study', studyPair);
    const seen = await walk(client);
    // Exactly what the delivery wrote: 90 blood pressure readings at 40 a file, 4 ECG at 3 a file, one manifest.
    expect(seen).toEqual(filesOnDisk(studyFeed));
    const { stamp } = await em.fork().findOneOrFail(SftpDelivery, { destination: studyFeed.id });
    expect(seen).toEqual([
      `/data/acme/blood_pressure/${study.groupId}/${stamp}/001.csv`,
      `/data/acme/blood_pressure/${study.groupId}/${stamp}/002.csv`,
      `/data/acme/blood_pressure/${study.groupId}/${stamp}/003.csv`,
      `/data/acme/manifests/${stamp}.json`,
      `/ecgdata/acme/ecg/${study.groupId}/${stamp}/001.csv`,
      `/ecgdata/acme/ecg/${study.groupId}/${stamp}/002.csv`,
    ]);
    const manifest = JSON.parse(((await client.get(`/data/acme/manifests/${stamp}.json`)) as Buffer).toString('utf8')) as {
      files: { path: string; rows: number; sha256: string }[];
    };
    expect(manifest.files.map((file) => `/${file.path}`)).toEqual(seen.filter((path) => path.endsWith('.csv')));
    for (const file of manifest.files) {
      const bytes = (await client.get(`/${file.path}`)) as Buffer;
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      expect(bytes.toString('utf8').trimEnd().split('\r\n')).toHaveLength(file.rows + 1);
    }
    expect(manifest.files.reduce((sum, file) => sum + file.rows, 0)).toBe(94);
  });

  it('shows a key from another scope nothing of this scope’s groups', async () => {
    const client = await connect('acme-pilot', pilotPair);
    const seen = await walk(client);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((path) => path.includes(pilot.groupId) || path.includes('/manifests/'))).toBe(true);
    expect(seen.join('\n')).not.toContain(study.groupId);
    const studyFile = filesOnDisk(studyFeed).find((path) => path.endsWith('001.csv'))!;
    await expect(client.get(studyFile)).rejects.toThrow();
    await expect(client.list(`/data/acme/blood_pressure/${study.groupId}`)).rejects.toThrow();
    await expect(client.get(`/../${studyFeed.id}${studyFile}`)).rejects.toThrow();
    // And the study's manifest is not this key's either.
    expect(seen.filter((path) => path.includes('/manifests/'))).toEqual(
      filesOnDisk(pilotFeed).filter((path) => path.includes('/manifests/')),
    );
  });

  it('refuses path escapes: .., absolute paths outside the tree, backslashes, and symbolic links', async () => {
    const folder = join(retrievalDir, studyFeed.id);
    const stampDir = readdirSync(join(folder, 'data/acme/blood_pressure', study.groupId))[0];
    const inside = join(folder, 'data/acme/blood_pressure', study.groupId, stampDir);
    symlinkSync('/etc/passwd', join(inside, '009.csv'));
    // A folder inside the scope that leads into the other destination's tree.
    const pilotGroupDir = join(retrievalDir, pilotFeed.id, 'data/acme/blood_pressure', pilot.groupId);
    symlinkSync(
      join(pilotGroupDir, readdirSync(pilotGroupDir)[0]),
      join(folder, 'data/acme/blood_pressure', study.groupId, '20990101000000'),
    );
    const client = await connect('acme-study', studyPair);
    for (const path of [
      '../../../../etc/passwd',
      '/../../etc/passwd',
      `/../${pilotFeed.id}/data`,
      '/etc/passwd',
      join(retrievalDir, pilotFeed.id, 'data'),
      '/data/acme/..\\..\\..\\etc\\passwd',
      `/data/acme/blood_pressure/${study.groupId}/${stampDir}/009.csv`,
      `/data/acme/blood_pressure/${study.groupId}/20990101000000`,
      `/data/acme/blood_pressure/${study.groupId}/20990101000000/001.csv`,
    ]) {
      await expect(client.get(path)).rejects.toThrow();
      await expect(client.list(path)).rejects.toThrow();
    }
    expect((await client.list(`/data/acme/blood_pressure/${study.groupId}/${stampDir}`)).map((entry) => entry.name)).toEqual([
      '001.csv',
      '002.csv',
      '003.csv',
    ]);
    unlinkSync(join(inside, '009.csv'));
    expect((await client.list(`/data/acme/blood_pressure/${study.groupId}`)).map((entry) => entry.name)).toEqual([stampDir]);
    unlinkSync(join(folder, 'data/acme/blood_pressure', study.groupId, '20990101000000'));
  });

  it('refuses every write: upload, mkdir, rename, remove, and leaves the files as they were', async () => {
    const before = filesOnDisk(studyFeed);
    const file = before.find((path) => path.endsWith('001.csv'))!;
    const bytes = readFileSync(join(retrievalDir, studyFeed.id, file));
    const client = await connect('acme-study', studyPair);
    await expect(client.put(Buffer.from('x\r\n'), '/data/acme/new.csv')).rejects.toThrow(/denied/i);
    await expect(client.put(Buffer.from('x\r\n'), file)).rejects.toThrow(/denied/i);
    await expect(client.mkdir('/data/acme/more')).rejects.toThrow(/denied/i);
    await expect(client.rename(file, `${file}.old`)).rejects.toThrow(/denied/i);
    await expect(client.delete(file)).rejects.toThrow(/denied/i);
    await expect(client.rmdir('/data/acme/manifests')).rejects.toThrow();
    expect(filesOnDisk(studyFeed)).toEqual(before);
    expect(readFileSync(join(retrievalDir, studyFeed.id, file)).equals(bytes)).toBe(true);
  });

  it('works with OpenSSH’s sftp in batch mode: lists and fetches, and every write is refused', async () => {
    const file = filesOnDisk(studyFeed).find((path) => path.endsWith('002.csv'))!;
    const folder = file.slice(0, file.lastIndexOf('/'));
    const local = join(keyDir, 'fetched.csv');
    const run = await openSsh('acme-study', studyPair, [
      `ls -l ${folder}`,
      `get ${file} ${local}`,
      `-put ${local} ${folder}/004.csv`,
      `-mkdir ${folder}/more`,
      `-rename ${file} ${folder}/x.csv`,
      `-rm ${file}`,
      '-get ../../../etc/passwd',
      'ls /',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/-r--r--r--.* 001\.csv/);
    expect(readFileSync(local).equals(readFileSync(join(retrievalDir, studyFeed.id, file)))).toBe(true);
    expect(run.out.match(/Permission denied/g)?.length).toBeGreaterThanOrEqual(4);
    expect(run.out).toMatch(/\/?data\s+\/?ecgdata/);
    expect(filesOnDisk(studyFeed)).not.toContain(`${folder}/004.csv`);
  }, 30_000);

  it('refuses an unknown key, a revoked key, another destination’s user name, and passwords, and audits each refusal', async () => {
    const revoked = await addKey(studyFeed, 'Old laptop', revokedPair);
    // Works while it is active…
    await (await connect('acme-study', revokedPair)).end();
    await app.get(SftpRetrievalKeysService).revoke(studyFeed.id, revoked.id, { login: 'test-admin' });
    // …and no more.
    await expect(connect('acme-study', revokedPair)).rejects.toThrow(/authentication/i);
    await expect(connect('acme-study', unknownPair)).rejects.toThrow(/authentication/i);
    await expect(connect('acme-pilot', studyPair)).rejects.toThrow(/authentication/i);
    const withPassword = new SftpClient();
    clients.push(withPassword);
    await expect(
      withPassword.connect({ host: '127.0.0.1', port, username: 'acme-study', password: 'guess', readyTimeout: 10_000, retries: 0 }),
    ).rejects.toThrow(/authentication/i);
    const openSshUnknown = await openSsh('acme-study', unknownPair, ['ls /']);
    expect(openSshUnknown.code).not.toBe(0);

    const refusals = await auditRows('sftp_retrieval.sign_in_refused');
    const reasons = refusals.map((row) => row.detail.reason);
    expect(reasons).toEqual(expect.arrayContaining(['revoked_key', 'unknown_key', 'wrong_user', 'method_not_allowed']));
    expect(refusals.find((row) => row.detail.reason === 'revoked_key')).toMatchObject({
      target_id: revoked.id,
      actor_login: `sftp-key:${revoked.id}`,
    });
    // The audit log names keys by ID and fingerprint, never by the key itself.
    const everything = JSON.stringify(await auditRows('sftp_retrieval.sign_in_refused'));
    for (const pair of [revokedPair, unknownPair, studyPair]) expect(everything).not.toContain(pair.public.split(' ')[1]);
  }, 30_000);

  it('audits every sign-in, listing and read with the key’s ID', async () => {
    const accepted = (await auditRows('sftp_retrieval.sign_in_accepted', studyKey.id)).length;
    const client = await connect('acme-study', studyPair);
    const file = filesOnDisk(studyFeed).find((path) => path.endsWith('003.csv'))!;
    await client.list('/data/acme/manifests');
    await client.get(file);
    expect(await auditRows('sftp_retrieval.sign_in_accepted', studyKey.id)).toHaveLength(accepted + 1);
    expect((await auditRows('sftp_retrieval.files_listed', studyKey.id)).at(-1)).toMatchObject({
      actor_login: `sftp-key:${studyKey.id}`,
      detail: { path: '/data/acme/manifests', destinationId: studyFeed.id },
    });
    expect((await auditRows('sftp_retrieval.file_read', studyKey.id)).at(-1)).toMatchObject({
      actor_login: `sftp-key:${studyKey.id}`,
      detail: { path: file, destinationId: studyFeed.id },
    });
    expect(await auditRows('sftp_retrieval.file_read', pilotKey.id)).toEqual([]);
  });

  it('shows a delivery only once it is complete: temporary files are hidden, and the manifest comes after its files', async () => {
    const folder = join(retrievalDir, studyFeed.id);
    const client = await connect('acme-study', studyPair);
    const before = await walk(client);
    // A file still being written keeps its temporary name.
    const partial = join(folder, 'data/acme/blood_pressure', study.groupId, 'half.csv.part');
    writeFileSync(partial, 'ogsc_id,');
    expect(await walk(client)).toEqual(before);
    await expect(client.get(`/data/acme/blood_pressure/${study.groupId}/half.csv.part`)).rejects.toThrow();
    rmSync(partial);

    // A delivery whose manifest cannot be written fails after its CSV files: they are there, the manifest is not.
    const ann = await addParticipant(em, study);
    await insertReadings(em, 'blood_pressure', ann, series(3, { firstId: 500 }));
    const manifests = join(folder, 'data/acme/manifests');
    rmSync(manifests, { recursive: true });
    writeFileSync(manifests, 'in the way');
    const deliveries = app.get(SftpDeliveryService);
    expect(await deliveries.deliver(studyFeed.id)).toMatchObject({ status: 'failed' });
    const during = await walk(client);
    expect(during.filter((path) => !before.includes(path) && path.endsWith('.csv'))).toHaveLength(1);
    expect(during.some((path) => path.includes('/manifests/'))).toBe(false);

    rmSync(manifests);
    mkdirSync(manifests);
    const resumed = await deliveries.deliver(studyFeed.id);
    expect(resumed).toMatchObject({ status: 'succeeded', rows: 3 });
    const after = await walk(client);
    expect(after.filter((path) => path.includes('/manifests/'))).toHaveLength(1);
  });

  it('removes deliveries past the retention period, manifest first, and keeps younger ones', async () => {
    const retention = app.get(RetrievalRetentionService);
    const now = new Date();
    expect(await retention.prune(new Date(now.getTime() + 29 * 86_400_000))).toEqual([]);
    expect(filesOnDisk(pilotFeed).length).toBeGreaterThan(0);

    const pruned = await retention.prune(new Date(now.getTime() + 31 * 86_400_000));
    const all = await em.fork().find(SftpDelivery, {}, { orderBy: { startedAt: 'asc' } });
    expect(pruned.sort()).toEqual(
      all
        .filter((delivery) => delivery.status === 'succeeded')
        .map((delivery) => delivery.id)
        .sort(),
    );
    expect(filesOnDisk(studyFeed)).toEqual([]);
    expect(filesOnDisk(pilotFeed)).toEqual([]);
    const client = await connect('acme-pilot', pilotPair);
    expect(await walk(client)).toEqual([]);
    // Pruned once: the history keeps the delivery, marked.
    expect((await em.fork().find(SftpDelivery, { prunedAt: null, status: 'succeeded' })).length).toBe(0);
    expect(await retention.prune(new Date(now.getTime() + 60 * 86_400_000))).toEqual([]);
  });

  it('removes a deleted destination’s folder and keys', async () => {
    await app.get(SftpDestinationsService).remove(pilotFeed.id, { login: 'test-admin' });
    expect(existsSync(join(retrievalDir, pilotFeed.id))).toBe(false);
    await expect(connect('acme-pilot', pilotPair)).rejects.toThrow(/authentication/i);
    expect((await auditRows('sftp_retrieval.sign_in_refused')).at(-1)).toMatchObject({ detail: { reason: 'unknown_key' } });
  });
});
