import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { EntityManager } from '@mikro-orm/postgresql';
import request from 'supertest';
import { loadSandboxConfig } from '@opendsp/config';
import { createSandboxApp } from '../apps/omron-sandbox/src/bootstrap.js';
import { issueTestAccessToken, SandboxAccessTokens, SandboxGrants } from '../apps/omron-sandbox/src/oauth/index.js';
import { upsertRegisteredApp } from '../apps/omron-sandbox/src/registered-apps/index.js';
import { ensureSandboxUser } from '../apps/omron-sandbox/src/users/sandbox-users.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testSandboxEnv } from './support/test-environment.js';

const ADMIN_TOKEN = 'sandbox-admin-token-0123456789';

describe('OMRON sandbox registered apps', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let seedFile: string;
  const instances: NestExpressApplication[] = [];

  const sandbox = async (overrides: Record<string, string> = {}) => {
    const instance = await createSandboxApp(loadSandboxConfig(testSandboxEnv({ DATABASE_URL: database.settings.url, ...overrides })), {
      shutdownHooks: false,
    });
    // Closed in afterAll even when init fails, so a refused boot leaves no pool behind.
    instances.push(instance);
    await instance.init();
    return instance;
  };
  const admin = () => ({
    get: (path: string) => request(app.getHttpServer()).get(path).auth(ADMIN_TOKEN, { type: 'bearer' }),
    post: (path: string) => request(app.getHttpServer()).post(path).auth(ADMIN_TOKEN, { type: 'bearer' }),
    patch: (path: string) => request(app.getHttpServer()).patch(path).auth(ADMIN_TOKEN, { type: 'bearer' }),
    delete: (path: string) => request(app.getHttpServer()).delete(path).auth(ADMIN_TOKEN, { type: 'bearer' }),
  });
  const tokenWith = (clientId: string, clientSecret: string) =>
    request(app.getHttpServer())
      .post('/stg/connect/token')
      .type('form')
      .send({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: 'nothing' });

  beforeAll(async () => {
    database = await createTestDatabase();
    seedFile = join(tmpdir(), `sandbox-apps-${process.pid}-${Date.now()}.json`);
    await writeFile(
      seedFile,
      JSON.stringify({
        apps: [
          {
            clientId: 'aviato-api',
            clientSecret: '4e435f8d3aac0b6398dfb9db10227ad6225f4b38e7f8b3015ca92b9b10b8f1b3',
            displayName: 'Aviato',
            redirectUris: ['https://example.aviato.com/oauth'],
            notificationUri: 'https://example.aviato.com/notify',
            companyName: 'Aviato Inc.',
            contactEmail: 'dev@aviato.example',
          },
        ],
      }),
    );
    app = await sandbox({ SANDBOX_APPS_FILE: seedFile, SANDBOX_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close().catch(() => undefined);
    await database?.drop();
  });

  it('registers the apps of the seed file at boot, with the secret it names', async () => {
    const seeded = await admin().get('/admin/registered-apps/aviato-api').expect(200);
    expect(seeded.body).toMatchObject({
      clientId: 'aviato-api',
      displayName: 'Aviato',
      redirectUris: ['https://example.aviato.com/oauth'],
      allowedScopes: ['bloodpressure', 'activity', 'weight', 'temperature', 'oxygen', 'ecg', 'openid', 'offline_access'],
      companyName: 'Aviato Inc.',
      contactEmail: 'dev@aviato.example',
    });
    expect(JSON.stringify(seeded.body)).not.toMatch(/secret/i);
    // The right secret passes client authentication (the request then fails on its made-up refresh token).
    expect((await tokenWith('aviato-api', '4e435f8d3aac0b6398dfb9db10227ad6225f4b38e7f8b3015ca92b9b10b8f1b3').expect(400)).body.error).toBe(
      'invalid_grant',
    );
    const [row] = await adminQuery<{ client_secret_hash: string }>(
      database.settings.url,
      `select client_secret_hash from omron_sandbox.registered_app where client_id = 'aviato-api'`,
    );
    expect(row!.client_secret_hash).toMatch(/^\$argon2/);
  });

  it('keeps admin edits of a seeded app across a restart', async () => {
    await admin().patch('/admin/registered-apps/aviato-api').send({ displayName: 'Aviato Renamed' }).expect(200);
    const restarted = await sandbox({ SANDBOX_APPS_FILE: seedFile });
    const after = await request(restarted.getHttpServer()).get('/admin/registered-apps/aviato-api').expect(200);
    expect(after.body.displayName).toBe('Aviato Renamed');
  });

  it('refuses to boot with a seed file that does not describe apps', async () => {
    const bad = join(tmpdir(), `sandbox-apps-bad-${process.pid}.json`);
    await writeFile(bad, JSON.stringify({ apps: [{ clientId: 'x', redirectUris: ['not a url'] }] }));
    await expect(sandbox({ SANDBOX_APPS_FILE: bad })).rejects.toThrow(/SANDBOX_APPS_FILE .*redirectUris/);
  });

  it('creates, edits, rotates and deletes apps through the admin JSON API', async () => {
    const created = await admin()
      .post('/admin/registered-apps')
      .send({
        clientId: 'partner-app',
        displayName: 'Partner',
        redirectUris: ['https://partner.example.test/cb', 'com.partner.app:/oauth'],
        allowedScopes: ['bloodpressure', 'ecg', 'openid'],
        infoUri: 'https://partner.example.test',
        companyAddress: '1 Main St',
        contactName: 'Pat',
        contactPhone: '+1 555 0100',
      })
      .expect(201);
    expect(created.body.clientSecret).toEqual(expect.any(String));
    expect(created.body.allowedScopes).toEqual(['bloodpressure', 'ecg', 'openid']);
    await tokenWith('partner-app', created.body.clientSecret).expect(400);

    const edited = await admin()
      .patch('/admin/registered-apps/partner-app')
      .send({ notificationUri: 'https://partner.example.test/notify', infoUri: null })
      .expect(200);
    expect(edited.body).toMatchObject({ notificationUri: 'https://partner.example.test/notify', infoUri: null, displayName: 'Partner' });

    const rotated = await admin().post('/admin/registered-apps/partner-app/secret').expect(200);
    expect(rotated.body.clientSecret).not.toBe(created.body.clientSecret);
    expect((await tokenWith('partner-app', created.body.clientSecret).expect(401)).body.error).toBe('invalid_client');
    await tokenWith('partner-app', rotated.body.clientSecret).expect(400);

    const list = await admin().get('/admin/registered-apps').expect(200);
    expect(list.body.map((entry: { clientId: string }) => entry.clientId)).toEqual(expect.arrayContaining(['aviato-api', 'partner-app']));
    await admin().delete('/admin/registered-apps/partner-app').expect(204);
    await admin().get('/admin/registered-apps/partner-app').expect(404);
    await admin().delete('/admin/registered-apps/partner-app').expect(404);
  });

  it('refuses bad app definitions with 400 and changes nothing', async () => {
    const valid = { clientId: 'valid-app', displayName: 'Valid', redirectUris: ['https://valid.example.test/cb'] };
    const bad: Record<string, unknown>[] = [
      { ...valid, redirectUris: [] },
      { ...valid, redirectUris: ['https://valid.example.test/cb#fragment'] },
      { ...valid, allowedScopes: ['steps'] },
      { ...valid, clientId: 'has spaces' },
      { ...valid, policyUri: 'javascript:alert(1)' },
      { ...valid, clientSecret: 'short' },
      { ...valid, unknownField: 1 },
      { ...valid, displayName: undefined },
    ];
    for (const body of bad) await admin().post('/admin/registered-apps').send(body).expect(400);
    await admin().get('/admin/registered-apps/valid-app').expect(404);
    await admin().patch('/admin/registered-apps/aviato-api').send({ displayName: null }).expect(400);
    await admin().patch('/admin/registered-apps/aviato-api').send({ redirectUris: null }).expect(400);
    await admin()
      .post('/admin/registered-apps')
      .send({ ...valid, clientId: 'aviato-api' })
      .expect(409);
  });

  it('requires the admin token when one is configured', async () => {
    await request(app.getHttpServer()).get('/admin/registered-apps').expect(401);
    await request(app.getHttpServer()).get('/admin/registered-apps').auth('wrong-token-0123456789', { type: 'bearer' }).expect(401);
  });

  it('lets the local launcher register or update an app with a known secret', async () => {
    const em = app.get(EntityManager).fork();
    const input = { clientId: 'opendsp-local', displayName: 'OpenDSP (local)', redirectUris: ['http://127.0.0.1:3000/consent/callback'] };
    await upsertRegisteredApp(em, { ...input, clientSecret: 'first-secret-0123456789' });
    await upsertRegisteredApp(app.get(EntityManager).fork(), { ...input, clientSecret: 'second-secret-0123456789' });
    expect((await tokenWith('opendsp-local', 'first-secret-0123456789').expect(401)).body.error).toBe('invalid_client');
    await tokenWith('opendsp-local', 'second-secret-0123456789').expect(400);
  });

  it('issues test access tokens and lists active grants for the other sandbox modules', async () => {
    const em = app.get(EntityManager).fork();
    const user = await ensureSandboxUser(em, 'hanako@sandbox.test', 'password-123456');
    const token = await issueTestAccessToken(em, {
      userId: user.id,
      clientId: 'test-client',
      scopes: ['bloodpressure', 'ecg'],
      notificationUri: 'http://127.0.0.1:9/notify',
    });
    const tokens = app.get(SandboxAccessTokens);
    await expect(tokens.authenticate(`Bearer ${token}`)).resolves.toEqual({
      userId: user.id,
      sub: user.sub,
      clientId: 'test-client',
      scopes: ['bloodpressure', 'ecg'],
    });
    await expect(tokens.authenticate(undefined)).resolves.toBeNull();
    await expect(tokens.authenticate(`Basic ${token}`)).resolves.toBeNull();
    await expect(tokens.authenticate('Bearer unknown')).resolves.toBeNull();
    const expired = await issueTestAccessToken(em, { userId: user.id, clientId: 'test-client', scopes: ['weight'], expiresInSeconds: -1 });
    await expect(tokens.authenticate(`Bearer ${expired}`)).resolves.toBeNull();

    const grants = app.get(SandboxGrants);
    await expect(grants.activeGrantsForUser(user.id)).resolves.toEqual([
      { clientId: 'test-client', notificationUri: 'http://127.0.0.1:9/notify', scopes: ['bloodpressure', 'ecg', 'weight'] },
    ]);
    await adminQuery(database.settings.url, `update omron_sandbox.oauth_grant set revoked_at = now()`);
    await expect(grants.activeGrantsForUser(user.id)).resolves.toEqual([]);
    await expect(tokens.authenticate(`Bearer ${token}`)).resolves.toBeNull();
  });
});
