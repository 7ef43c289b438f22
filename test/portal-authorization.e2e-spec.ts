import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ApiClient, hashCredential } from '@opendsp/api';
import { AdminAccount, ADMIN_ROLES, PasswordHasher, portalRoutes, roleHas, type AdminRole, type PortalRoute } from '@opendsp/admin-auth';
import { loadDspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { dspOrmConfig } from '@opendsp/database';
import { GroupAdminMembership, GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { Enrollment, Participant } from '@opendsp/participants';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { testDspEnv } from './support/test-environment.js';

const PASSWORD = 'matrix password for tests';
// Fixed IDs, so a route that deleted its target can have it put back before the next request.
const URL_A = '00000000-0000-4000-8000-00000000000a';
const URL_B = '00000000-0000-4000-8000-00000000000b';
// An SFTP destination (nothing listens on port 1 of loopback, so "test connection" fails fast) and one delivery.
const DESTINATION = '00000000-0000-4000-8000-00000000000d';
const DELIVERY = '00000000-0000-4000-8000-00000000000e';
// A webhook endpoint and one delivery of it (the delivery shares DELIVERY's ID: routes name both `:deliveryId`).
const WEBHOOK_ENDPOINT = '00000000-0000-4000-8000-00000000000f';
// A partner key of DESTINATION, for /exports/sftp/:destinationId/keys/:keyId/revoke.
const RETRIEVAL_KEY = '00000000-0000-4000-8000-000000000010';

describe('portal authorisation (route table × role)', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let server: Server;
  let routes: PortalRoute[];
  let groupA: ProgramGroup;
  let groupB: ProgramGroup;
  let target: AdminAccount;
  // A participant in each group, for the routes under /groups/:groupId/participants/:ogscId.
  const participants = new Map<ProgramGroup, Participant>();
  const DEAD_LETTER = new Map<ProgramGroup, string>();
  // An open alert of each group's participant, for /alerts/:alertId and its acknowledgement.
  const ALERT = new Map<ProgramGroup, string>();
  let apiClient: ApiClient;
  const clients = new Map<AdminRole, PortalTestClient>();
  // One connection for the whole file: the matrix puts its fixtures back hundreds of times.
  let connection: pg.Client;
  const sql = async (text: string, params: unknown[] = []) => (await connection.query(text, params)).rows;

  /** Puts back what a previous request may have removed or changed, so every request meets the same state. */
  async function resetFixtures(): Promise<void> {
    await sql(
      `insert into group_redirect_url (id, group_id, url, is_default, created_at) values
         ($1, $3, 'https://a.example/welcome', false, now()), ($2, $4, 'https://b.example/welcome', false, now())
       on conflict (id) do nothing`,
      [URL_A, URL_B, groupA.id, groupB.id],
    );
    await sql(`update admin_account set disabled_at = null where id = $1`, [target.id]);
    // A pull that gave up for each group's participant, for /sync/dead-letters/:deadLetterId/retry (which resolves it).
    await sql(
      `insert into sync_dead_letter (id, participant_id, kind, job_id, error, attempts, failed_at)
       values ($1, $3, 'weight', 'matrix-a', 'fixture', 1, now()), ($2, $4, 'weight', 'matrix-b', 'fixture', 1, now())
       on conflict (id) do update set resolved_at = null`,
      [DEAD_LETTER.get(groupA), DEAD_LETTER.get(groupB), participants.get(groupA)!.id, participants.get(groupB)!.id],
    );
    await sql(`update api_client set disabled_at = null where id = $1`, [apiClient.id]);
    await sql(
      `insert into sftp_destination (id, name, mode, host, port, username, auth_method, remote_base_dir, kinds, schedule, enabled,
         consecutive_failures, created_at, updated_at)
       values ($1, 'Fixture', 'push', '127.0.0.1', 1, 'fixture', 'password', '.', '["blood_pressure"]', '0 3 * * *', false, 0, now(), now())
       on conflict (id) do nothing`,
      [DESTINATION],
    );
    await sql(
      `insert into sftp_delivery (id, destination_id, status, trigger, stamp, up_to_seq, units, attempts, started_at, last_attempt_at,
         file_count, row_count, byte_count)
       values ($1, $2, 'succeeded', 'schedule', '20261123100000', 0, '[]', 1, now(), now(), 0, 0, 0)
       on conflict (id) do nothing`,
      [DELIVERY, DESTINATION],
    );
    // Rotating decrypts the current secret, so the fixture holds a real ciphertext.
    const secret = app.get(SecretBox).encrypt('whsec_' + 'A'.repeat(43) + '=', {
      table: 'webhook_endpoint',
      column: 'secret_ciphertext',
      rowId: WEBHOOK_ENDPOINT,
    });
    await sql(
      `insert into webhook_endpoint (id, url, description, event_types, group_ids, secret_ciphertext, enabled, readings_through_seq, connection_events_through_id, created_at, updated_at)
       values ($1, 'http://127.0.0.1:1/hook', '', '["readings.changed"]', '[]', $2, true, 0, 0, now(), now())
       on conflict (id) do update set secret_ciphertext = excluded.secret_ciphertext, enabled = true`,
      [WEBHOOK_ENDPOINT, secret],
    );
    await sql(
      `insert into webhook_delivery (id, endpoint_id, event_type, body, status, attempts, next_attempt_at, first_attempt_at, created_at)
       values ($1, $2, 'readings.changed', '{}', 'succeeded', 1, null, now(), now())
       on conflict (id) do update set status = 'succeeded', next_attempt_at = null`,
      [DELIVERY, WEBHOOK_ENDPOINT],
    );
    await sql(
      `insert into sftp_retrieval_key (id, destination_id, name, public_key, fingerprint, key_type, created_at)
       values ($1, $2, 'Fixture key', 'ssh-ed25519 AAAA fixture', 'SHA256:fixture', 'ssh-ed25519', now())
       on conflict (id) do update set revoked_at = null`,
      [RETRIEVAL_KEY, DESTINATION],
    );
    for (const group of [groupA, groupB]) {
      await sql(
        `insert into alert (id, group_id, participant_id, rule, status, raised_at, detail)
         values ($1, $2, $3, 'reconnect_needed', 'open', now(), '{}')
         on conflict (id) do update set status = 'open', acknowledged_at = null, acknowledged_by = null, acknowledged_login = null, note = null`,
        [ALERT.get(group), group.id, participants.get(group)!.id],
      );
    }
  }

  function concrete(route: PortalRoute, group: ProgramGroup, urlId: string): string {
    return route.path
      .replace(':groupId', group.groupId)
      .replace(':urlId', urlId)
      .replace(':ogscId', participants.get(group)!.ogscId)
      .replace(':id', target.id)
      .replace(':clientId', apiClient.id)
      .replace(':destinationId', DESTINATION)
      .replace(':endpointId', WEBHOOK_ENDPOINT)
      .replace(':deliveryId', DELIVERY)
      .replace(':deadLetterId', DEAD_LETTER.get(group)!)
      .replace(':alertId', ALERT.get(group)!)
      .replace(':keyId', RETRIEVAL_KEY)
      .replace(':token', 'x'.repeat(43));
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = new pg.Client({ connectionString: database.settings.url });
    await connection.connect();
    app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url })));
    await app.init();
    server = app.getHttpServer();
    routes = portalRoutes(app);

    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const em = orm.em.fork();
    groupA = new ProgramGroup('Group A');
    groupB = new ProgramGroup('Group B');
    target = new AdminAccount('target-admin', 'Target', 'target@example.test', 'viewer');
    apiClient = new ApiClient({
      name: 'Matrix client',
      scopes: 'participants:read',
      allGroups: true,
      secretHash: hashCredential('matrix'),
    });
    const hash = await PasswordHasher.hash(PASSWORD);
    const admins = ADMIN_ROLES.map((role) =>
      Object.assign(new AdminAccount(`as-${role}`, role, `${role}@example.test`, role), { passwordHash: hash }),
    );
    em.persist([groupA, groupB, target, apiClient, ...admins, new GroupAdminMembership(admins[1], groupA)]);
    await em.flush();
    em.persist([
      new GroupRedirectUrl(groupA, 'https://a.example/first', true),
      new GroupRedirectUrl(groupB, 'https://b.example/first', true),
    ]);
    for (const [group, loginId] of [
      [groupA, 'AAAA-2222-2222'],
      [groupB, 'BBBB-2222-2222'],
    ] as const) {
      const participant = Object.assign(new Participant('pre_created'), { loginId });
      participants.set(group, participant);
      em.persist([participant, new Enrollment(participant, group, 'invited')]);
    }
    await em.flush();
    await orm.close(true);
    DEAD_LETTER.set(groupA, '900001').set(groupB, '900002');
    ALERT.set(groupA, '00000000-0000-4000-8000-0000000000a1').set(groupB, '00000000-0000-4000-8000-0000000000b1');
    await resetFixtures();

    for (const role of ADMIN_ROLES) {
      const client = new PortalTestClient(server);
      expect((await client.signIn(`as-${role}`, PASSWORD)).status).toBe(303);
      await client.get('/');
      clients.set(role, client);
    }
  });
  afterAll(async () => {
    await connection?.end();
    await app?.close();
    await database?.drop();
  });

  it('finds every portal route, and each one says who may use it', () => {
    expect(routes.length).toBeGreaterThanOrEqual(30);
    expect(routes.filter((route) => route.access === undefined)).toEqual([]);
    expect(routes).toEqual(
      expect.arrayContaining([expect.objectContaining({ method: 'POST', path: '/groups/:groupId/redirect-urls', access: 'groups.edit' })]),
    );
  });

  it('lets each role through exactly where its permissions say, and refuses it elsewhere with 403', async () => {
    const outcomes: string[] = [];
    const attempt = async (route: PortalRoute, role: AdminRole, allowed: boolean) => {
      const client = clients.get(role)!;
      const path = concrete(route, groupA, URL_A);
      const response = route.method === 'GET' ? await client.get(path) : await client.post(path, {});
      const ok = allowed ? response.status < 400 || response.status === 422 : response.status === 403;
      outcomes.push(`${ok ? 'ok ' : 'BAD'} ${role} ${route.method} ${route.path} → ${response.status}`);
    };
    const cases = routes
      .filter((candidate) => candidate.access !== 'public')
      .flatMap((route) =>
        ADMIN_ROLES.map((role) => ({ route, role, allowed: roleHas(role, route.access as Parameters<typeof roleHas>[1]) })),
      );
    // Pages and refused requests change nothing: they all meet one state, several at a time. A POST that is
    // let through may delete or change its target, so each of those meets freshly restored fixtures.
    const changesNothing = cases.filter(({ route, allowed }) => route.method === 'GET' || !allowed);
    await resetFixtures();
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < changesNothing.length) {
          const { route, role, allowed } = changesNothing[next++];
          await attempt(route, role, allowed);
        }
      }),
    );
    for (const { route, role, allowed } of cases.filter((candidate) => !changesNothing.includes(candidate))) {
      await resetFixtures();
      await attempt(route, role, allowed);
    }
    expect(outcomes).toHaveLength(cases.length);
    expect(outcomes.filter((line) => line.startsWith('BAD'))).toEqual([]);
    // Spot checks that the matrix exercised real outcomes, not one blanket answer.
    expect(outcomes).toEqual(
      expect.arrayContaining([
        'ok  viewer GET /groups/:groupId → 200',
        'ok  viewer POST /groups/:groupId/redirect-urls → 403',
        'ok  group-admin POST /groups/:groupId/redirect-urls/:urlId/delete → 303',
        'ok  group-admin POST /groups → 403',
        'ok  partner-admin POST /groups → 422',
        'ok  group-admin GET /audit → 403',
        'ok  partner-admin GET /admins/:id → 200',
        'ok  group-admin POST /exports/download → 422',
        'ok  viewer POST /exports/download → 403',
        'ok  partner-admin POST /exports/sftp/:destinationId/test → 200',
        'ok  partner-admin GET /exports/sftp/:destinationId/deliveries/:deliveryId → 200',
        'ok  group-admin GET /exports/sftp → 403',
      ]),
    );
  });

  it('answers 404 to a group admin for everything of a group that is not theirs', async () => {
    const client = clients.get('group-admin')!;
    const scoped = routes.filter(
      (route) =>
        (route.path.includes(':groupId') || route.path.includes(':ogscId')) &&
        roleHas('group-admin', route.access as Parameters<typeof roleHas>[1]),
    );
    expect(scoped.length).toBeGreaterThanOrEqual(5);
    const outcomes: string[] = [];
    for (const route of scoped) {
      await resetFixtures();
      const path = concrete(route, groupB, URL_B);
      const response =
        route.method === 'GET'
          ? await client.get(path)
          : await client.post(path, { displayName: 'Taken over', url: 'https://evil.example/' });
      outcomes.push(`${route.method} ${route.path} → ${response.status}`);
    }
    expect(outcomes).toEqual(scoped.map((route) => `${route.method} ${route.path} → 404`));
    // And the group list does not show it.
    const list = await client.get('/groups?status=all');
    expect(list.text).toContain(groupA.groupId);
    expect(list.text).not.toContain(groupB.groupId);
    const [row] = await sql(`select display_name from program_group where id = $1`, [groupB.id]);
    expect(row.display_name).toBe('Group B');
  });

  it('sends visitors who are not signed in to the sign-in page', async () => {
    const anonymous = new PortalTestClient(server);
    await anonymous.get('/login');
    for (const route of routes.filter((candidate) => candidate.access !== 'public')) {
      const path = concrete(route, groupA, URL_A);
      const response = route.method === 'GET' ? await anonymous.get(path) : await anonymous.post(path, {});
      expect([route.path, response.status, response.headers.location?.split('?')[0]]).toEqual([route.path, 303, '/login']);
    }
  });

  it('refuses every POST without a valid CSRF token with 403, and changes nothing', async () => {
    const partner = clients.get('partner-admin')!;
    const stranger = new PortalTestClient(server);
    await stranger.get('/login');
    const before = await sql(`select (select count(*) from audit_event) as audit, (select count(*) from group_redirect_url) as urls,
      (select count(*) from program_group where archived_at is not null) as archived, (select count(*) from admin_session) as sessions`);
    const posts = routes.filter((route) => route.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(15);
    for (const route of posts) {
      await resetFixtures();
      const path = concrete(route, groupA, URL_A);
      const form = { displayName: 'Forged', url: 'https://forged.example/', lang: 'en', loginId: 'as-viewer', password: PASSWORD };
      const missing = await partner.post(path, form, { csrf: false });
      const foreign = await partner.post(path, { ...form, _csrf: stranger.csrfToken }, { csrf: false });
      expect([route.path, missing.status, foreign.status]).toEqual([route.path, 403, 403]);
    }
    const after = await sql(`select (select count(*) from audit_event) as audit, (select count(*) from group_redirect_url) as urls,
      (select count(*) from program_group where archived_at is not null) as archived, (select count(*) from admin_session) as sessions`);
    expect(after).toEqual(before);
    // The friendly page says what to do.
    const page = await partner.post('/groups', { displayName: 'x' }, { csrf: false });
    expect(page.text).toContain('ページを再読み込み');
  });
});
