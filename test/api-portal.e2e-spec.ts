import request from 'supertest';
import { hashCredential } from '@opendsp/api';
import { ProgramGroup } from '@opendsp/groups';
import { MikroORM } from '@mikro-orm/postgresql';
import { dspOrmConfig } from '@opendsp/database';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'api clients portal passphrase';

describe('API clients in the portal', () => {
  let portal: SignedInPortal;
  let group: ProgramGroup;

  beforeAll(async () => {
    portal = await startSignedInPortal('api-admin', PASSWORD);
    const orm = await MikroORM.init(dspOrmConfig(portal.database.settings));
    group = new ProgramGroup('Portal API group');
    await orm.em.fork().persist(group).flush();
    await orm.close(true);
  });
  afterAll(() => portal?.close());

  const token = (clientId: string, secret: string) =>
    request(portal.server).post('/api/v1/oauth/token').auth(clientId, secret).type('form').send({ grant_type: 'client_credentials' });

  async function create(form: Record<string, string | string[]>): Promise<{ id: string; clientId: string; secret: string }> {
    await portal.admin.get('/api-clients/new');
    const page = await portal.admin.post('/api-clients', form);
    expect(page.status).toBe(201);
    const clientId = /<code id="client-id">([^<]+)<\/code>/.exec(page.text)![1];
    const secret = /<code id="client-secret" class="secret">([^<]+)<\/code>/.exec(page.text)![1];
    const id = /href="\/api-clients\/([0-9a-f-]{36})"/.exec(page.text)![1];
    return { id, clientId, secret };
  }

  it('lists API clients in the menu of a partner admin and starts empty', async () => {
    const home = await portal.admin.get('/');
    expect(home.text).toContain('href="/api-clients"');
    const list = await portal.admin.get('/api-clients');
    expect(list.status).toBe(200);
    expect(list.text).toContain('No API clients yet.');
  });

  it('re-renders the form with field errors for bad input, and saves nothing', async () => {
    await portal.admin.get('/api-clients/new');
    const bad = await portal.admin.post('/api-clients', { name: '  ', groupAccess: 'some', scopes: ['participants:read', 'root'] });
    expect(bad.status).toBe(422);
    for (const field of ['name', 'scopes', 'groupIds']) expect(bad.text).toContain(`id="${field}-error"`);
    const noScopes = await portal.admin.post('/api-clients', { name: 'x', groupAccess: 'all' });
    expect(noScopes.status).toBe(422);
    expect(noScopes.text).toContain('Choose at least one scope.');
    const unknownGroup = await portal.admin.post('/api-clients', {
      name: 'x',
      scopes: 'participants:read',
      groupAccess: 'some',
      groupIds: 'ZZZZZZZZZZZZ',
    });
    expect(unknownGroup.status).toBe(422);
    expect(await portal.sql(`select count(*)::int as n from api_client`)).toEqual([{ n: 0 }]);
  });

  it('shows the secret once, stores only its hash, and the credentials work at the token endpoint', async () => {
    const { id, clientId, secret } = await create({
      name: 'Warehouse',
      scopes: ['participants:read', 'measurements:read'],
      groupAccess: 'some',
      groupIds: group.groupId,
    });
    expect(secret).toMatch(/^dsps_[A-Za-z0-9_-]{43}$/);
    const issued = await token(clientId, secret).expect(200);
    expect(issued.body.scope).toBe('participants:read measurements:read');
    const groups = await request(portal.server).get('/api/v1/groups').auth(issued.body.access_token, { type: 'bearer' }).expect(200);
    expect(groups.body.data.map((shown: { groupId: string }) => shown.groupId)).toEqual([group.groupId]);

    const details = await portal.admin.get(`/api-clients/${id}`);
    expect(details.status).toBe(200);
    expect(details.text).toContain(clientId);
    expect(details.text).toContain('Portal API group');
    expect(details.text).not.toContain(secret);
    expect((await portal.admin.get('/api-clients')).text).not.toContain(secret);
    const [row] = await portal.sql(`select secret_hash, created_by from api_client where id = $1`, [id]);
    expect(row).toEqual({ secret_hash: hashCredential(secret), created_by: 'api-admin' });
    expect(JSON.stringify(await portal.sql(`select * from audit_event`))).not.toContain(secret);
    const [event] = await portal.sql(`select actor_login, target_id, detail from audit_event where action = 'api_client.created'`);
    expect(event).toMatchObject({ actor_login: 'api-admin', target_id: clientId, detail: { groups: [group.groupId] } });
  });

  it('disables a client (its tokens stop at once) and enables it again, audited', async () => {
    const { id, clientId, secret } = await create({ name: 'To disable', scopes: 'participants:read', groupAccess: 'all' });
    const issued = await token(clientId, secret).expect(200);
    await portal.admin.get(`/api-clients/${id}`);
    expect((await portal.admin.post(`/api-clients/${id}/disable`)).status).toBe(303);
    expect((await portal.admin.get(`/api-clients/${id}`)).text).toContain('Disabled');
    await request(portal.server).get('/api/v1/groups').auth(issued.body.access_token, { type: 'bearer' }).expect(401);
    await token(clientId, secret).expect(401);
    expect((await portal.admin.post(`/api-clients/${id}/enable`)).status).toBe(303);
    await token(clientId, secret).expect(200);
    const actions = await portal.sql(`select action from audit_event where target_id = $1 order by id`, [clientId]);
    expect(actions.map((row) => (row as { action: string }).action)).toEqual([
      'api_client.created',
      'api_client.disabled',
      'api_client.enabled',
    ]);
  });

  it('rotates the secret with an overlap, or ending the old one and its tokens at once', async () => {
    const { id, clientId, secret: first } = await create({ name: 'To rotate', scopes: 'participants:read', groupAccess: 'all' });
    const firstToken = (await token(clientId, first).expect(200)).body.access_token;
    await portal.admin.get(`/api-clients/${id}`);
    const rotated = await portal.admin.post(`/api-clients/${id}/rotate-secret`, { overlapHours: '24' });
    expect(rotated.status).toBe(200);
    expect(rotated.text).toContain('A new secret has been issued.');
    const second = /<code id="client-secret" class="secret">([^<]+)<\/code>/.exec(rotated.text)![1];
    expect(second).not.toBe(first);
    await token(clientId, first).expect(200);
    await token(clientId, second).expect(200);
    expect((await portal.admin.get(`/api-clients/${id}`)).text).toContain('Previous secret works until');

    await portal.admin.get(`/api-clients/${id}`);
    expect((await portal.admin.post(`/api-clients/${id}/rotate-secret`, { overlapHours: 'forever' })).status).toBe(422);
    await token(clientId, second).expect(200);

    const now = await portal.admin.post(`/api-clients/${id}/rotate-secret`, { overlapHours: '0' });
    const third = /<code id="client-secret" class="secret">([^<]+)<\/code>/.exec(now.text)![1];
    await token(clientId, first).expect(401);
    await token(clientId, second).expect(401);
    await token(clientId, third).expect(200);
    await request(portal.server).get('/api/v1/groups').auth(firstToken, { type: 'bearer' }).expect(401);
    const rotations = await portal.sql(
      `select detail from audit_event where action = 'api_client.secret_rotated' and target_id = $1 order by id`,
      [clientId],
    );
    expect(rotations.map((row) => ((row as { detail: unknown }).detail as { overlapHours: number }).overlapHours)).toEqual([24, 0]);
  });

  it('answers unknown clients with a 404 page', async () => {
    for (const path of ['/api-clients/not-a-uuid', '/api-clients/00000000-0000-4000-8000-000000000000']) {
      expect((await portal.admin.get(path)).status).toBe(404);
    }
  });
});
