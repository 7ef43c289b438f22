import { createServer, type Server, type Socket } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { SftpDestinationForm, SftpDestinationsService } from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { validateForm } from '@opendsp/i18n';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

/** A public address (never connected to here): the checks under test run before any connection. */
const PUBLIC_HOST = '93.184.216.34';

describe('SFTP destinations', () => {
  let database: TestDatabase;
  let closed: NestExpressApplication;
  let open: NestExpressApplication;
  let groupId: string;
  const sockets: Socket[] = [];
  let silent: Server;

  async function platform(env: Record<string, string>): Promise<NestExpressApplication> {
    const app = await createDspApp(
      loadDspConfig(
        testDspEnv({
          DATABASE_URL: database.settings.url,
          PROCESS_ROLE: 'web',
          DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
          SFTP_TIMEOUT_SECONDS: '1',
          ...env,
        }),
      ),
      { shutdownHooks: false },
    );
    await app.init();
    return app;
  }
  async function form(values: Record<string, unknown>): Promise<SftpDestinationForm> {
    const validated = await validateForm(SftpDestinationForm, {
      name: 'Partner SFTP',
      host: PUBLIC_HOST,
      port: '22',
      username: 'dsp',
      authMethod: 'password',
      remoteBaseDir: 'inbox',
      schedule: '0 3 * * *',
      enabled: 'on',
      kinds: ['weight'],
      groupIds: [groupId],
      ...values,
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
    return validated.value;
  }
  const stored = async (id: string) =>
    (
      await adminQuery<{ host: string; port: number; password_ciphertext: string | null }>(
        database.settings.url,
        `select host, port, password_ciphertext from sftp_destination where id = $1`,
        [id],
      )
    )[0];

  beforeAll(async () => {
    database = await createTestDatabase();
    closed = await platform({});
    open = await platform({ EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: 'true' });
    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const group = new ProgramGroup('SFTP pilots');
    await orm.em.fork().persist(group).flush();
    await orm.close(true);
    groupId = group.groupId;
    // Accepts connections and never says a word: what a filtered or silent port looks like to the client.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await closed?.close();
    await open?.close();
    await database?.drop();
  });

  it('drops the stored password when the host or port changes, unless it is entered again', async () => {
    const service = closed.get(SftpDestinationsService);
    const created = await service.create(await form({ password: 'first secret' }), { login: 'test' });
    if (!created.ok) throw new Error(JSON.stringify(created.errors));
    const id = created.destination.id;
    const before = await stored(id);
    expect(before.password_ciphertext).not.toBeNull();

    // Same host and port, no password typed: the stored one stays.
    expect(await service.update(id, await form({ name: 'Renamed' }), { login: 'test' })).toMatchObject({ ok: true });
    expect((await stored(id)).password_ciphertext).toBe(before.password_ciphertext);

    // Another host or port without the password: refused, and nothing changes.
    for (const moved of [{ host: '93.184.216.35' }, { port: '2222' }]) {
      expect(await service.update(id, await form(moved), { login: 'test' })).toEqual({
        ok: false,
        errors: { password: 'sftp.password_required' },
      });
      expect(await stored(id)).toEqual(before);
    }
    // With the password entered again: saved, with the new secret.
    expect(await service.update(id, await form({ port: '2222', password: 'second secret' }), { login: 'test' })).toMatchObject({
      ok: true,
    });
    const after = await stored(id);
    expect([after.port, after.password_ciphertext === before.password_ciphertext]).toEqual([2222, false]);
  });

  it.each(['127.0.0.1', '10.0.0.5', '192.168.1.10', '169.254.169.254', '100.100.100.200', '::1', 'fd00:ec2::254', 'localhost'])(
    'refuses the host %s unless EXPORT_SFTP_ALLOW_PRIVATE_HOSTS=true',
    async (host) => {
      const refused = await closed.get(SftpDestinationsService).create(await form({ host, password: 'a secret' }), { login: 'test' });
      expect(refused).toEqual({ ok: false, errors: { host: 'sftp.host_private' } });
      const allowed = await open.get(SftpDestinationsService).create(await form({ host, password: 'a secret' }), { login: 'test' });
      expect(allowed.ok).toBe(true);
    },
  );

  it('refuses to connect to a private host stored before the rule, or reached through DNS', async () => {
    const created = await open.get(SftpDestinationsService).create(await form({ host: '127.0.0.1', port: '1', password: 'a secret' }), {
      login: 'test',
    });
    if (!created.ok) throw new Error('not created');
    const result = await closed.get(SftpDestinationsService).testConnection(created.destination.id, { login: 'test' });
    expect(result).toMatchObject({ ok: false, problem: 'host_not_allowed' });
  });

  it('says the same about a closed port and a port that never answers', async () => {
    const service = open.get(SftpDestinationsService);
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const silentPort = (silent.address() as { port: number }).port;
    const results = [];
    for (const port of [closedPort, silentPort]) {
      const created = await service.create(await form({ host: '127.0.0.1', port: String(port), password: 'a secret' }), { login: 'test' });
      if (!created.ok) throw new Error('not created');
      const result = await service.testConnection(created.destination.id, { login: 'test' });
      results.push({ ...result, message: result.message.replace(String(port), 'PORT') });
    }
    expect(results[0]).toMatchObject({ ok: false, problem: 'unreachable' });
    expect(results[1]).toEqual(results[0]);
  });
});
