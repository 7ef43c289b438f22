import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS } from '@opendsp/measurements';
import { Participant } from '@opendsp/participants';
import { PULL_QUEUE, SyncScheduling, SyncStatusService } from '@opendsp/sync';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, itOnServer, testServerUrl, type TestDatabase } from './support/test-database.js';
import { startSyncStack, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';
import { testDspEnv } from './support/test-environment.js';

const PATH = '/omron/notifications';
/** The participant the receiver tests know (set before the tables of it.each are built). */
const KNOWN_USER = '6f3a2c1e-known-user';

describe('the Notification URI receiver', () => {
  let database: TestDatabase;
  const apps: NestExpressApplication[] = [];
  let omronUserId: string;

  /** A web-only platform on the shared test database, configured by `env`. */
  async function receiver(env: Record<string, string> = {}): Promise<NestExpressApplication> {
    const app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web', ...env })), {
      shutdownHooks: false,
    });
    await app.init();
    apps.push(app);
    return app;
  }
  const inbox = () =>
    adminQuery<{ omron_user_id: string; type: string; notified_at: Date }>(
      database.settings.url,
      `select omron_user_id, type, notified_at from sync_notification order by id`,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    const app = await receiver();
    const em = app.get(MikroORM).em.fork();
    const participant = new Participant('omron_connect');
    participant.omronUserId = omronUserId = KNOWN_USER;
    await em.persist(participant).flush();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await adminQuery(database.settings.url, `delete from sync_notification`);
    // The per-address limit is counted in the database, shared by every receiver of this test file.
    await adminQuery(database.settings.url, `delete from api_rate_limit`);
  });

  it('records a JSON notification and a form-encoded one, answering 202', async () => {
    const server = apps[0].getHttpServer();
    const json = await request(server).post(PATH).send({ id: omronUserId, timestamp: 1_767_225_600_000, type: 'bloodpressure' });
    expect([json.status, json.body]).toEqual([202, { received: true }]);
    const form = await request(server).post(PATH).type('form').send({ id: omronUserId, timestamp: '1767225601000', type: 'weight' });
    expect(form.status).toBe(202);
    expect(await inbox()).toEqual([
      { omron_user_id: omronUserId, type: 'bloodpressure', notified_at: new Date(1_767_225_600_000) },
      { omron_user_id: omronUserId, type: 'weight', notified_at: new Date(1_767_225_601_000) },
    ]);
  });

  it('acknowledges duplicates, unknown users and types it does not sync, and stores none of them twice or at all', async () => {
    const server = apps[0].getHttpServer();
    const body = { id: omronUserId, timestamp: 1_767_225_600_000, type: 'oxygen' };
    for (let i = 0; i < 3; i++) expect((await request(server).post(PATH).send(body)).status).toBe(202);
    expect(
      (
        await request(server)
          .post(PATH)
          .send({ ...body, id: 'nobody-we-know' })
      ).status,
    ).toBe(202);
    expect(
      (
        await request(server)
          .post(PATH)
          .send({ ...body, type: 'sleep' })
      ).status,
    ).toBe(202);
    expect(await inbox()).toHaveLength(1);
  });

  describe('as a tolerant reader (the spec section on notification bodies is missing)', () => {
    const customUserId = 'c04fee05f05008aa07e737c2413a534beaf21996a0e8c6210525069b2c8670f7';
    const unrecognised = () =>
      adminQuery<{ raw_body: string; reason: string }>(
        database.settings.url,
        `select raw_body, reason from sync_unrecognised_notification order by id`,
      );
    beforeAll(() =>
      // The participant's connection grants two kinds and knows the Cognito custom:userId.
      adminQuery(
        database.settings.url,
        `insert into omron_connection (id, omron_user_id, custom_user_id, scopes, redirect_uri, access_token_expires_at,
           access_token_lifetime_seconds, state, state_changed_at, transient_failures, created_at, updated_at)
         values (gen_random_uuid(), $1, $2, 'weight bloodpressure openid offline_access', 'http://x/cb', now(), 3600, 'active', now(), 0, now(), now())`,
        [KNOWN_USER, customUserId],
      ),
    );
    beforeEach(() => adminQuery(database.settings.url, `delete from sync_unrecognised_notification`));

    it.each([
      [
        'userId and dataType',
        { userId: KNOWN_USER, dataType: 'weight', timestamp: 1_767_225_600_000 },
        ['weight'],
        new Date(1_767_225_600_000),
      ],
      [
        'user_id and measurementType in another case',
        { user_id: KNOWN_USER, measurementType: 'bloodPressure', timestamp: '2026-01-01T00:00:00Z' },
        ['bloodpressure'],
        new Date('2026-01-01T00:00:00Z'),
      ],
      ['sub and epoch seconds', { sub: KNOWN_USER, type: 'weight', timestamp: 1_767_225_600 }, ['weight'], new Date(1_767_225_600_000)],
      [
        "Cognito's custom:userId",
        { id: customUserId, type: 'weight', timestamp: 1_767_225_600_000 },
        ['weight'],
        new Date(1_767_225_600_000),
      ],
      [
        'no type: every kind the connection grants',
        { id: KNOWN_USER, timestamp: 1_767_225_600_000 },
        ['bloodpressure', 'weight'],
        new Date(1_767_225_600_000),
      ],
      [
        'unknown fields',
        { id: KNOWN_USER, type: 'weight', timestamp: 1_767_225_600_000, region: 'us', extra: { a: 1 } },
        ['weight'],
        new Date(1_767_225_600_000),
      ],
    ])('maps %s to inbox rows for the participant', async (_case, body, types, at) => {
      const response = await request(apps[0].getHttpServer()).post(PATH).send(body);
      expect([response.status, response.body]).toEqual([202, { received: true }]);
      const rows = await adminQuery<{ omron_user_id: string; type: string; notified_at: Date; raw_body: string }>(
        database.settings.url,
        `select omron_user_id, type, notified_at, raw_body from sync_notification order by type`,
      );
      expect(rows.map((row) => [row.omron_user_id, row.type, row.notified_at])).toEqual(types.map((type) => [KNOWN_USER, type, at]));
      expect(JSON.parse(rows[0]!.raw_body)).toEqual(body);
    });

    it('takes an array, a form body, and a notification without a timestamp (the time of receipt)', async () => {
      const server = apps[0].getHttpServer();
      const before = Date.now();
      const list = await request(server)
        .post(PATH)
        .send([
          { id: KNOWN_USER, type: 'weight', timestamp: 1_767_225_600_000 },
          { id: KNOWN_USER, type: 'bloodpressure' },
          { id: KNOWN_USER, type: 'sleep' },
        ]);
      expect(list.status).toBe(202);
      // Another type: a second 'weight' would fold into the one still waiting (one pending pull per user and type).
      const form = await request(server)
        .post(PATH)
        .type('form')
        .send({ userId: KNOWN_USER, dataType: 'activity', timestamp: '1767225700' });
      expect(form.status).toBe(202);
      const rows = await inbox();
      expect(rows.map((row) => row.type).sort()).toEqual(['activity', 'bloodpressure', 'weight']);
      // Ten digits are epoch seconds.
      expect(new Date(rows.find((row) => row.type === 'activity')!.notified_at).getTime()).toBe(1_767_225_700_000);
      const untimed = rows.find((row) => row.type === 'bloodpressure')!;
      expect(new Date(untimed.notified_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    });

    it.each([
      ['no user ID', { timestamp: 1_767_225_600_000, type: 'weight' }, 'no user ID'],
      ['an empty array', [], 'empty array'],
      ['a list with a non-object', [{ id: KNOWN_USER, type: 'weight' }, 'x'], 'not an object'],
      ['a null user ID', { id: null, type: 'weight' }, 'no user ID'],
    ])('keeps %s as unrecognised, answers 202 and counts it on the sync page', async (_case, body, reason) => {
      const response = await request(apps[0].getHttpServer())
        .post(PATH)
        .send(body as object);
      expect([response.status, response.body]).toEqual([
        202,
        { received: true, recognised: false, reason: expect.stringContaining(reason) },
      ]);
      expect(await inbox()).toEqual([]);
      const [kept] = await unrecognised();
      expect(kept!.reason).toContain(reason);
      expect(JSON.parse(kept!.raw_body)).toEqual(body);
      const overview = await apps[0].get(SyncStatusService).overview({ groupIds: null });
      expect(overview.inbox.unrecognised24h).toBe(1);
    });

    it('keeps a body that is not valid JSON as unrecognised too, capped in size', async () => {
      const broken = await request(apps[0].getHttpServer()).post(PATH).set('content-type', 'application/json').send('{"id": "x",');
      expect([broken.status, broken.body]).toEqual([202, { received: true, recognised: false, reason: 'not valid JSON' }]);
      expect(await unrecognised()).toEqual([{ raw_body: '{"id": "x",', reason: 'not valid JSON' }]);
    });
  });

  it('refuses bodies that are neither JSON nor a form, and bodies over the size limit, before reading them whole', async () => {
    const server = apps[0].getHttpServer();
    expect((await request(server).post(PATH).set('content-type', 'text/plain').send('id=x')).status).toBe(415);
    const large = { id: omronUserId, timestamp: 1_767_225_600_000, type: 'weight', padding: 'x'.repeat(5000) };
    const declared = await request(server).post(PATH).send(large);
    expect([declared.status, declared.body.message]).toEqual([413, 'A notification body is at most 4096 bytes']);
    // Chunked, without a Content-Length: refused once more than the limit has arrived.
    const chunked = await fetch(`http://127.0.0.1:${await listening(apps[0])}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(JSON.stringify(large)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await inbox()).toEqual([]);
  });

  it('answers 429 with Retry-After past the per-address rate limit', async () => {
    const app = await receiver({ NOTIFICATION_RATE_LIMIT_PER_MINUTE: '5' });
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await request(app.getHttpServer())
        .post(PATH)
        .send({ id: omronUserId, timestamp: 1_767_225_600_000 + i, type: 'weight' });
      statuses.push(response.status);
      retryAfter ??= response.headers['retry-after'];
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // One user and type: the first waits in the inbox, the others fold into it.
    expect(await inbox()).toHaveLength(1);
  });

  it('shares the per-address rate limit across web processes', async () => {
    const first = await receiver({ NOTIFICATION_RATE_LIMIT_PER_MINUTE: '5' });
    const second = await receiver({ NOTIFICATION_RATE_LIMIT_PER_MINUTE: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const app = i % 2 === 0 ? first : second;
      const response = await request(app.getHttpServer())
        .post(PATH)
        .send({ id: omronUserId, timestamp: 1_767_225_600_000 + i, type: 'weight' });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
  });

  itOnServer('holds at most one waiting notification per user and type, however many arrive at once', async () => {
    const server = apps[0].getHttpServer();
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(server)
          .post(PATH)
          .send({ id: omronUserId, timestamp: 1_767_225_600_000 + i, type: i % 2 === 0 ? 'weight' : 'bloodpressure' }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(40).fill(202));
    const rows = await inbox();
    expect(rows.map((row) => row.type).sort()).toEqual(['bloodpressure', 'weight']);
    // Once that one is dispatched, the next notification waits again.
    await adminQuery(database.settings.url, `update sync_notification set dispatched_at = now()`);
    await request(server).post(PATH).send({ id: omronUserId, timestamp: 1_767_225_700_000, type: 'weight' }).expect(202);
    expect(await inbox()).toHaveLength(3);
  });

  it('keeps a notification whose timestamp is far from now, but never shows it as the last notification', async () => {
    const app = apps[0];
    const pinned = Date.UTC(2199, 0, 1);
    await request(app.getHttpServer()).post(PATH).send({ id: omronUserId, timestamp: pinned, type: 'weight' }).expect(202);
    expect((await inbox()).map((row) => row.notified_at.getTime())).toEqual([pinned]);

    const [participant] = await adminQuery<{ id: string }>(database.settings.url, `select id from participant where omron_user_id = $1`, [
      omronUserId,
    ]);
    const lastNotification = async () =>
      (
        await adminQuery<{ last_notification_at: Date | null }>(
          database.settings.url,
          `select last_notification_at from sync_ledger where participant_id = $1 and kind = 'weight'`,
          [participant.id],
        )
      )[0]?.last_notification_at ?? null;
    const scheduling = app.get(SyncScheduling);
    await scheduling.requestPulls([{ participantId: participant.id, kind: 'weight', notifiedAt: new Date(pinned) }]);
    expect(await lastNotification()).toBeNull();
    const [{ now }] = await adminQuery<{ now: Date }>(database.settings.url, `select now() as now`);
    await scheduling.requestPulls([{ participantId: participant.id, kind: 'weight', notifiedAt: now }]);
    await scheduling.requestPulls([{ participantId: participant.id, kind: 'weight', notifiedAt: new Date(pinned) }]);
    expect(await lastNotification()).toEqual(now);
  });

  it('takes notifications from outside the admin allowlist, and only from NOTIFICATION_ALLOWED_SOURCE_IPS when set', async () => {
    const open = await receiver({ DSP_ALLOWED_SOURCE_IPS: '203.0.113.0/24' });
    expect((await request(open.getHttpServer()).get('/login')).status).toBe(403);
    const body = { id: omronUserId, timestamp: 1_767_225_600_000, type: 'weight' };
    expect((await request(open.getHttpServer()).post(PATH).send(body)).status).toBe(202);

    const fenced = await receiver({ NOTIFICATION_ALLOWED_SOURCE_IPS: '198.51.100.0/28', TRUST_PROXY: '127.0.0.1' });
    const outside = await request(fenced.getHttpServer())
      .post(PATH)
      .set('x-forwarded-for', '192.0.2.1')
      .send({ ...body, timestamp: 1 + body.timestamp });
    expect(outside.status).toBe(403);
    const inside = await request(fenced.getHttpServer())
      .post(PATH)
      .set('x-forwarded-for', '198.51.100.7')
      .send({ ...body, timestamp: 2 + body.timestamp, type: 'bloodpressure' });
    expect(inside.status).toBe(202);
    expect((await inbox()).map((row) => row.notified_at.getTime())).toEqual([body.timestamp, body.timestamp + 2]);
  });

  it('requires the shared secret, as ?secret= or a bearer token, when one is set', async () => {
    const app = await receiver({ NOTIFICATION_SHARED_SECRET: 'notification-secret-0123456789' });
    const body = { id: omronUserId, timestamp: 1_767_225_600_000, type: 'weight' };
    const server = app.getHttpServer();
    expect((await request(server).post(PATH).send(body)).status).toBe(401);
    expect((await request(server).post(`${PATH}?secret=wrong-secret-0123456789`).send(body)).status).toBe(401);
    expect((await request(server).post(`${PATH}?secret=notification-secret-0123456789`).send(body)).status).toBe(202);
    const bearer = await request(server)
      .post(PATH)
      .set('authorization', 'Bearer notification-secret-0123456789')
      .send({ ...body, type: 'oxygen' });
    expect(bearer.status).toBe(202);
    expect(await inbox()).toHaveLength(2);
  });
});

async function listening(app: NestExpressApplication): Promise<number> {
  const server = app.getHttpServer();
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as { port: number }).port;
}

describe('a burst of notifications', () => {
  let stack: SyncStack;

  beforeAll(async () => {
    stack = await startSyncStack();
  }, 120_000);
  afterAll(() => stack?.close());

  // The claims hold at any size; how many the receiver takes a second is a figure: `npm run bench -- sync-notifications`.
  const DISTINCT = 1_000;

  it(`${DISTINCT.toLocaleString('en-US')} notifications, each sent 3 times, shuffled, 50 at a time: at most one waiting row per user and type, and no duplicate reading`, async () => {
    const users: EnrolledParticipant[] = [];
    for (let index = 0; index < 10; index++) {
      const user = await stack.enroll(`burst-${index}@sandbox.test`);
      for (const type of ['bloodpressure', 'weight', 'oxygen']) {
        await stack.generate(user.sandboxUserId, { from: '2026-05-01', to: '2026-06-01', seed: index, type, count: 30 + index });
      }
      users.push(user);
    }
    await stack.waitForIdle();
    await stack.sql(`delete from sync_notification`);

    const types = MEASUREMENT_KIND_NAMES.map((kind) => MEASUREMENT_KINDS[kind].upstreamType);
    const distinct: { id: string; timestamp: number; type: string }[] = [];
    for (let index = 0; distinct.length < DISTINCT; index++) {
      const user = users[index % users.length];
      const type = types[Math.floor(index / users.length) % types.length];
      distinct.push({ id: user.omronUserId, timestamp: 1_780_000_000_000 + Math.floor(index / (users.length * types.length)), type });
    }
    const sends = [...distinct, ...distinct, ...distinct];
    for (let index = sends.length - 1; index > 0; index--) {
      const other = Math.floor(Math.random() * (index + 1));
      [sends[index], sends[other]] = [sends[other], sends[index]];
    }

    const [{ burstStart }] = await stack.sql<{ burstStart: Date }>(`select now() as "burstStart"`);
    const statuses = new Map<number, number>();
    let next = 0;
    const sender = async (lane: number) => {
      for (let index = next++; index < sends.length; index = next++) {
        const body = sends[index];
        const form = (index + lane) % 2 === 0;
        const response = await fetch(`${stack.platformUrl}${PATH}`, {
          method: 'POST',
          headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
          body: form ? new URLSearchParams({ id: body.id, timestamp: String(body.timestamp), type: body.type }) : JSON.stringify(body),
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, lane) => sender(lane)));
    expect(Object.fromEntries(statuses)).toEqual({ 202: sends.length });

    const rows = await stack.sql<{ omron_user_id: string; type: string; notified_at: Date; dispatched: boolean }>(
      `select omron_user_id, type, notified_at, dispatched_at is not null as dispatched from sync_notification`,
    );
    // Every user and type got into the inbox, never more than one of each waiting at a time (a flood folds
    // into the waiting one), and no notification twice.
    const pair = (id: string, type: string) => `${id}|${type}`;
    expect(new Set(rows.map((row) => pair(row.omron_user_id, row.type)))).toEqual(
      new Set(distinct.map((body) => pair(body.id, body.type))),
    );
    const waiting = rows.filter((row) => !row.dispatched).map((row) => pair(row.omron_user_id, row.type));
    expect(new Set(waiting).size).toBe(waiting.length);
    const key = (id: string, type: string, timestamp: number) => `${id}|${type}|${timestamp}`;
    expect(new Set(rows.map((row) => key(row.omron_user_id, row.type, row.notified_at.getTime()))).size).toBe(rows.length);

    await stack.waitForIdle(180_000);
    // The pulls coalesced: a few per participant and kind, nowhere near one per notification (about 200 on a
    // server). The embedded database runs one statement at a time, so its dispatcher keeps up with more of the
    // burst and folds less of it (about 500): there, fewer than one per distinct notification.
    const [jobs] = await stack.sql<{ count: string }>(`select count(*) from pgboss.job where name = $1 and created_on >= $2`, [
      PULL_QUEUE,
      burstStart,
    ]);
    expect(Number(jobs.count)).toBeLessThan(testServerUrl() ? DISTINCT / 2 : DISTINCT);
    for (const user of users) {
      for (const kind of ['blood_pressure', 'weight', 'oxygen'] as const) {
        const [truth, stored] = await Promise.all([stack.groundTruth(user.sandboxUserId, kind), stack.stored(user.participantId, kind)]);
        expect(stored).toEqual(truth);
      }
    }
    const [duplicates] = await stack.sql<{ count: string }>(
      `select count(*) from (select participant_id, upstream_id from blood_pressure_reading group by 1, 2 having count(*) > 1) d`,
    );
    expect(Number(duplicates.count)).toBe(0);
  }, 400_000);
});
