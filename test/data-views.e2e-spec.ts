import { SchedulerRegistry } from '@nestjs/schedule';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { DashboardSnapshots } from '@opendsp/data-views';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import { Enrollment, Participant, generateOgscId } from '@opendsp/participants';
import { SyncJobs, SyncStatusService } from '@opendsp/sync';
import { generateReadings } from '../apps/omron-sandbox/src/measurements/reading-generator.js';
import type { NewReading } from '../apps/omron-sandbox/src/measurements/reading-input.js';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { createParticipant, storeReadings, withOrm, type CreatedParticipant } from './support/data-views-fixtures.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'data views test passphrase';
const DAY = 86_400_000;

/** Attribute text as the browser reads it (Handlebars escapes `=` and quotes too). */
const decode = (value: string) =>
  value.replace(
    /&(amp|quot|#x27|#x3D|#x60|lt|gt);/g,
    (_, name: string) => ({ amp: '&', quot: '"', '#x27': "'", '#x3D': '=', '#x60': '`', lt: '<', gt: '>' })[name]!,
  );

/** The attributes of every element named `tag` in some markup. */
function elements(markup: string, tag: string): Record<string, string>[] {
  return [...markup.matchAll(new RegExp(`<${tag}\\b([^>]*?)/?>`, 'g'))].map((match) =>
    Object.fromEntries([...match[1].matchAll(/([\w-:]+)="([^"]*)"/g)].map((attribute) => [attribute[1], decode(attribute[2])])),
  );
}

/** The markup of the chart with `data-chart="key"`. */
function chart(page: string, key: string): string {
  const start = page.indexOf(`data-chart="${key}"`);
  if (start < 0) throw new Error(`no chart ${key}`);
  return page.slice(page.lastIndexOf('<svg', start), page.indexOf('</svg>', start) + 6);
}

/** OGSC IDs in list rows, in order. */
const listed = (page: string) =>
  [...page.matchAll(/<a href="\/participants\/(OG-[0-9A-Z]{24})" class="ogsc-id">/g)].map((match) => match[1]);
const nextLink = (page: string) => {
  const href = /<a href="([^"]+)" rel="next">/.exec(page)?.[1];
  return href ? decode(href) : null;
};

describe('portal data views', () => {
  let portal: SignedInPortal;
  let groupA: ProgramGroup;
  let groupB: ProgramGroup;
  /** P1: both groups, every kind of reading incl. possible AFib, active connection. */
  let p1: CreatedParticipant;
  /** P2: group A, consented, readings 20–40 days ago (stale), reconnect needed. */
  let p2: CreatedParticipant;
  let p3: CreatedParticipant;
  let p4: CreatedParticipant;
  let p5: CreatedParticipant;
  let p6: CreatedParticipant;
  let p7: CreatedParticipant;
  let p1Readings: NewReading[];
  let p7Readings: NewReading[];
  let groupAdmin: PortalTestClient;
  let viewer: PortalTestClient;
  const sql = (text: string, params: unknown[] = []) => portal.sql(text, params) as Promise<Record<string, unknown>[]>;

  beforeAll(async () => {
    portal = await startSignedInPortal('data-admin', PASSWORD);
    const now = Date.now();
    await withOrm(portal.database.settings, async (orm) => {
      const em = orm.em.fork();
      groupA = new ProgramGroup('Heart Study');
      groupB = new ProgramGroup('Weight Program');
      const hash = await PasswordHasher.hash(PASSWORD);
      const admin = Object.assign(new AdminAccount('group-b-admin', 'Group B admin', 'b@example.test', 'group-admin'), {
        passwordHash: hash,
      });
      const readOnly = Object.assign(new AdminAccount('read-only', 'Viewer', 'v@example.test', 'viewer'), { passwordHash: hash });
      em.persist([groupA, groupB, admin, readOnly]);
      await em.flush();
      em.persist(new GroupAdminMembership(admin, groupB));
      await em.flush();

      p1 = await createParticipant(em, {
        connection: 'active',
        groups: [
          { group: groupA, status: 'consented', internalCustomerId: 'A-0001' },
          { group: groupB, status: 'consented', internalCustomerId: 'B-0001' },
        ],
      });
      p2 = await createParticipant(em, {
        connection: 'reconnect_needed',
        groups: [{ group: groupA, status: 'consented', internalCustomerId: 'A-0002' }],
      });
      p3 = await createParticipant(em, {
        loginId: 'kaito.tanaka',
        groups: [{ group: groupA, status: 'invited', internalCustomerId: 'A_100%' }],
      });
      p4 = await createParticipant(em, { groups: [{ group: groupA, status: 'link_opened' }] });
      p5 = await createParticipant(em, {
        connection: 'withdrawn',
        groups: [{ group: groupA, status: 'withdrawn', internalCustomerId: 'A-0005' }],
      });
      p6 = await createParticipant(em, {
        connection: 'active',
        groups: [{ group: groupA, status: 'consented', internalCustomerId: 'A-0006' }],
      });
      p7 = await createParticipant(em, {
        connection: 'active',
        groups: [{ group: groupB, status: 'consented', internalCustomerId: 'B-0007' }],
      });
      // 120 more invitations in group A (pre-created accounts), for paging.
      for (let index = 0; index < 120; index++) {
        const participant = new Participant('pre_created');
        participant.loginId = `bulk-${String(index).padStart(3, '0')}`;
        participant.ogscId = generateOgscId();
        const enrollment = new Enrollment(participant, groupA, 'invited');
        enrollment.internalCustomerId = `BULK-${String(index).padStart(3, '0')}`;
        enrollment.createdAt = new Date(now - 50 * DAY + index * 60_000);
        em.persist([participant, enrollment]);
      }
      await em.flush();

      const range = (fromDays: number, toDays: number) => ({ from: new Date(now - fromDays * DAY), to: new Date(now - toDays * DAY) });
      p1Readings = [
        ...generateReadings({ type: 'bloodpressure', ...range(29, 0.1), count: 50, seed: 1, afibRate: 0.2 }),
        ...generateReadings({ type: 'weight', ...range(29, 0.1), count: 12, seed: 2 }),
        ...generateReadings({ type: 'activity', ...range(14, 0), count: 14, seed: 3 }),
        ...generateReadings({ type: 'temperature', ...range(20, 0.1), count: 8, seed: 4 }),
        ...generateReadings({ type: 'oxygen', ...range(20, 0.1), count: 8, seed: 5 }),
        ...generateReadings({ type: 'ecg', ...range(10, 0.1), count: 2, seed: 6 }),
      ];
      expect(p1Readings.filter((reading) => reading.type === 'bloodpressure' && reading.values.possibleAfib).length).toBeGreaterThan(2);
      await storeReadings(em, p1.participant.id, p1Readings);
      await storeReadings(em, p2.participant.id, generateReadings({ type: 'bloodpressure', ...range(40, 20), count: 10, seed: 7 }), {
        receivedAt: new Date(now - 20 * DAY),
      });
      p7Readings = generateReadings({ type: 'weight', ...range(4, 3), count: 3, seed: 8 });
      await storeReadings(em, p7.participant.id, p7Readings, { receivedAt: new Date(now - 3 * DAY) });
    });
    await sql('analyze');

    // Sync state, as the sync module leaves it (read by SyncStatusService). No pull may
    // start from it: the queued jobs wait an hour, no ledger row has a pending request, the waiting
    // notification is claimed by a dispatcher for a day.
    await sql(
      `insert into sync_ledger (participant_id, kind, last_pull_started_at, last_pull_succeeded_at, last_pull_readings, last_error, last_error_at, consecutive_failures)
       values ($1, 'blood_pressure', now() - interval '61 minutes', now() - interval '1 hour', 50, null, null, 0),
              ($1, 'weight', now() - interval '11 minutes', null, null, 'token refresh refused (invalid_grant)', now() - interval '10 minutes', 2)`,
      [p1.participant.id],
    );
    await sql(
      `insert into sync_dead_letter (participant_id, kind, job_id, error, attempts, failed_at)
       values ($1, 'blood_pressure', 'job-a', 'gave up after 5 attempts: HTTP 500', 5, now() - interval '2 hours'),
              ($2, 'weight', 'job-b', 'UpstreamUnavailableError: 5 attempts failed', 7, now() - interval '1 hour')`,
      [p2.participant.id, p7.participant.id],
    );
    await sql(
      `insert into sync_notification (omron_user_id, type, notified_at, participant_id, received_at, dispatched_at, claimed_until)
       select 'p1-user', 'bloodpressure', now() - make_interval(mins => n), $1::uuid, now() - make_interval(mins => n), now(), null::timestamptz from generate_series(1, 3) n
       union all select 'p7-user', 'weight', now() - interval '5 minutes', $2::uuid, now() - interval '5 minutes', null, now() + interval '1 day'
       union all select 'p1-user', 'weight', now() - interval '3 days', $1::uuid, now() - interval '3 days', now() - interval '3 days', null`,
      [p1.participant.id, p7.participant.id],
    );
    await sql(
      `insert into sync_upstream_state (endpoint, next_slot_at, blocked_until, consecutive_failures, circuit_open_until)
       values ('measurement', now(), now() + interval '5 minutes', 5, now() + interval '10 minutes')
       on conflict (endpoint) do update set blocked_until = excluded.blocked_until, consecutive_failures = 5, circuit_open_until = excluded.circuit_open_until`,
    );
    // What opened it: failures of three participants within the window.
    await sql(
      `insert into sync_upstream_failure (endpoint, subject, reason, failed_at)
       select 'measurement', 'connection-' || (n % 3), 'HTTP 503', now() - make_interval(secs => n) from generate_series(1, 5) n`,
    );
    await sql(
      `insert into sync_periodic_run (task, last_run_at) values ('reconcile', now()) on conflict (task) do update set last_run_at = now()`,
    );
    await portal.app.get(SyncJobs).enqueuePulls(
      [
        { participantId: p1.participant.id, kind: 'activity' },
        { participantId: p7.participant.id, kind: 'weight' },
      ],
      { startAfter: new Date(now + 3_600_000) },
    );

    groupAdmin = new PortalTestClient(portal.server);
    expect((await groupAdmin.signIn('group-b-admin', PASSWORD)).status).toBe(303);
    viewer = new PortalTestClient(portal.server);
    expect((await viewer.signIn('read-only', PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(() => portal?.close());

  describe('dashboard', () => {
    it('shows each group’s funnel and readings received, and every number opens the list of exactly those participants', async () => {
      const home = await portal.admin.get(`/?group=${groupA.groupId}`);
      expect(home.status).toBe(200);
      const figures = Object.fromEntries(
        [...home.text.matchAll(/data-figure="(\w+)" href="([^"]+)"[^>]*>([\d,]+)</g)].map((match) => [
          match[1],
          { href: decode(match[2]), value: Number(match[3].replaceAll(',', '')) },
        ]),
      );
      const p1Count = p1Readings.length;
      expect(Object.fromEntries(Object.entries(figures).map(([key, figure]) => [key, figure.value]))).toEqual({
        invited: 126,
        consented: 3,
        firstReading: 2,
        active: 1,
        stale: 1,
        reconnectNeeded: 1,
        withdrawn: 1,
        readings24h: p1Count,
        readings7d: p1Count,
        // From the sync module, for group A's participants: P1's queued activity pull and failing weight pull, P2's dead letter.
        queueDepth: 1,
        failures24h: 1,
        deadLetters: 1,
      });
      // The funnel chart carries the same numbers.
      const funnel = elements(chart(home.text, 'funnel'), 'a').map((step) => [step['data-step'], Number(step['data-value'])]);
      expect(funnel).toEqual(
        ['invited', 'consented', 'firstReading', 'active', 'stale', 'reconnectNeeded', 'withdrawn'].map((key) => [key, figures[key].value]),
      );

      // Every participant figure links to a list with that many rows (following the pages).
      const expectations: Record<string, string[] | number> = {
        invited: 126,
        consented: [p1, p2, p6].map((p) => p.participant.ogscId),
        firstReading: [p1, p2].map((p) => p.participant.ogscId),
        active: [p1.participant.ogscId],
        stale: [p2.participant.ogscId],
        reconnectNeeded: [p2.participant.ogscId],
        withdrawn: [p5.participant.ogscId],
        readings24h: [p1.participant.ogscId],
      };
      for (const [key, expected] of Object.entries(expectations)) {
        const ids: string[] = [];
        let path: string | null = figures[key].href;
        while (path && ids.length < 1000) {
          const page = await portal.admin.get(path);
          expect([key, page.status]).toEqual([key, 200]);
          ids.push(...listed(page.text));
          path = nextLink(page.text);
        }
        if (typeof expected === 'number') expect([key, ids.length, new Set(ids).size]).toEqual([key, expected, expected]);
        else expect([key, ids.sort()]).toEqual([key, [...expected].sort()]);
      }
    });

    it('shows every visible group in its table, and counts a participant of two groups in both', async () => {
      const home = await portal.admin.get('/');
      const rows = [...home.text.matchAll(/<tr data-group="([0-9A-Z]{12})">([\s\S]*?)<\/tr>/g)].map((match) => [
        match[1],
        [...match[2].matchAll(/>([\d,]+)<\/a><\/td>/g)].map((cell) => Number(cell[1].replaceAll(',', ''))),
      ]);
      // The last three: queued jobs, failures in 24 hours and dead letters of the group's participants (P1 is in both).
      expect(rows).toEqual([
        [groupA.groupId, [126, 3, 2, 1, 1, 1, 1, p1Readings.length, p1Readings.length, 1, 1, 1]],
        [groupB.groupId, [2, 2, 2, 2, 0, 0, 0, p1Readings.length, p1Readings.length + p7Readings.length, 2, 1, 1]],
      ]);
    });

    it('agrees with each group’s funnel page, and both open the same participants', async () => {
      // P6 consented 35 days ago and never sent a reading: consented, not stale, on both pages.
      for (const group of [groupA, groupB]) {
        const home = await portal.admin.get(`/?group=${group.groupId}`);
        const dashboard = Object.fromEntries(
          [...home.text.matchAll(/data-figure="(\w+)" href="([^"]+)"[^>]*>([\d,]+)</g)].map((match) => [
            match[1],
            { href: decode(match[2]), value: Number(match[3].replaceAll(',', '')) },
          ]),
        );
        const funnelPage = await portal.admin.get(`/groups/${group.groupId}/funnel`);
        expect(funnelPage.status).toBe(200);
        const now = Object.fromEntries(
          [...funnelPage.text.matchAll(/<tr data-stage="(\w+)">[\s\S]*?<a [^>]*>(\d+)<\/a>/g)].map(([, stage, count]) => [
            stage,
            Number(count),
          ]),
        );
        const total = Number(/<td id="funnel-total">(\d+)<\/td>/.exec(funnelPage.text)![1]);
        expect([
          group.displayName,
          dashboard.invited.value,
          dashboard.consented.value,
          dashboard.active.value,
          dashboard.stale.value,
        ]).toEqual([group.displayName, total, now.consented + now.receiving + now.stale, now.receiving, now.stale]);
        expect(dashboard.withdrawn.value).toBe(now.withdrawn);
        // The participants behind "stale" and "active": the same on the dashboard's list and the group's own list.
        for (const [figure, stage] of [
          ['stale', 'stale'],
          ['active', 'receiving'],
        ]) {
          const fromDashboard = listed((await portal.admin.get(dashboard[figure].href)).text).sort();
          const groupList = await portal.admin.get(`/groups/${group.groupId}/participants?stage=${stage}`);
          const fromGroupPage = [...groupList.text.matchAll(/\/participants\/(OG-[0-9A-Z]{24})"/g)].map((match) => match[1]).sort();
          expect([group.displayName, figure, fromGroupPage]).toEqual([group.displayName, figure, fromDashboard]);
        }
      }
      expect(listed((await portal.admin.get(`/participants?group=${groupA.groupId}&consent=consented&reading=never`)).text)).toEqual([
        p6.participant.ogscId,
      ]);
    });

    it('recomputes figures the worker has not refreshed for two periods, without making the page wait', async () => {
      // Processes that run scheduled work (this one: PROCESS_ROLE=all) refresh every DASHBOARD_REFRESH_SECONDS.
      expect(portal.app.get(SchedulerRegistry).getIntervals()).toContain('dashboard-snapshot');
      await sql(`update enrollment set status = 'withdrawn', withdrawn_at = now() where id = $1`, [p6.enrollments[0].id]);
      await sql(`update group_dashboard_snapshot set computed_at = now() - interval '1 hour'`);
      const stale = await portal.admin.get(`/?group=${groupA.groupId}`);
      expect(/data-figure="withdrawn"[^>]*>(\d+)</.exec(stale.text)![1]).toBe('1');
      await portal.app.get(DashboardSnapshots).refreshOnce();
      const fresh = await portal.admin.get(`/?group=${groupA.groupId}`);
      expect(/data-figure="withdrawn"[^>]*>(\d+)</.exec(fresh.text)![1]).toBe('2');
      await sql(`update enrollment set status = 'consented', withdrawn_at = null where id = $1`, [p6.enrollments[0].id]);
      await portal.app.get(DashboardSnapshots).refresh();
    });

    it('scopes a group admin to their groups and answers 404 for another group', async () => {
      const home = await groupAdmin.get('/');
      expect(home.status).toBe(200);
      expect(home.text).toContain(groupB.groupId);
      expect(home.text).not.toContain(groupA.groupId);
      expect(/data-figure="invited"[^>]*>(\d+)</.exec(home.text)![1]).toBe('2');
      expect((await groupAdmin.get(`/?group=${groupA.groupId}`)).status).toBe(404);
      expect((await portal.admin.get('/?group=NOTAGROUP')).status).toBe(404);
      expect((await portal.admin.get('/?after=nonsense')).status).toBe(400);
    });
  });

  describe('participant list', () => {
    const search = async (client: PortalTestClient, query: string) => {
      const page = await client.get(`/participants?${query}`);
      expect([query, page.status]).toEqual([query, 200]);
      return listed(page.text);
    };

    it('finds participants by OGSC ID, internal customer ID or login ID, exactly or by prefix', async () => {
      const id = p1.participant.ogscId;
      expect(await search(portal.admin, `q=${id}`)).toEqual([id, id]);
      expect(await search(portal.admin, `q=${id.toLowerCase()}`)).toEqual([id, id]);
      expect(await search(portal.admin, `q=${id.slice(0, 12)}`)).toContain(id);
      expect(await search(portal.admin, 'q=A-0002')).toEqual([p2.participant.ogscId]);
      expect(await search(portal.admin, 'q=B-000')).toEqual(expect.arrayContaining([p1.participant.ogscId, p7.participant.ogscId]));
      expect(await search(portal.admin, 'q=kaito.tanaka')).toEqual([p3.participant.ogscId]);
      expect(await search(portal.admin, 'q=kai')).toEqual([p3.participant.ogscId]);
      // LIKE's wildcards are plain characters here.
      expect(await search(portal.admin, `q=${encodeURIComponent('A_100%')}`)).toEqual([p3.participant.ogscId]);
      expect(await search(portal.admin, `q=${encodeURIComponent('A_')}`)).toEqual([]);
      expect(await search(portal.admin, 'q=%25')).toEqual([]);
      expect(await search(portal.admin, 'q=nobody-has-this')).toEqual([]);
    });

    it('filters by group, enrollment method, consent, connection and last reading', async () => {
      const ids = (...participants: CreatedParticipant[]) => participants.map((p) => p.participant.ogscId).sort();
      const sorted = async (query: string) => (await search(portal.admin, query)).sort();
      expect(await sorted(`group=${groupB.groupId}`)).toEqual(ids(p1, p7));
      expect(await sorted(`group=${groupA.groupId}&method=omron_connect`)).toEqual(ids(p1, p2, p4, p5, p6));
      expect(await sorted('consent=link_opened')).toEqual(ids(p4));
      expect(await sorted('connection=reconnect_needed')).toEqual(ids(p2));
      expect(await sorted('connection=withdrawn')).toEqual(ids(p5));
      expect(await sorted(`group=${groupA.groupId}&connection=none&method=omron_connect`)).toEqual(ids(p4));
      expect(await sorted('reading=stale')).toEqual(ids(p2));
      expect(await sorted('reading=7d')).toEqual(ids(p1, p1, p7));
      expect(await sorted(`reading=24h&group=${groupB.groupId}`)).toEqual(ids(p1));
      expect(await sorted('consent=consented&reading=never')).toEqual(ids(p6));
    });

    it('sorts by latest and by oldest reading, and pages through 126 rows without losing or repeating one', async () => {
      expect(await search(portal.admin, `group=${groupB.groupId}&sort=last_reading`)).toEqual([p1, p7].map((p) => p.participant.ogscId));
      expect(await search(portal.admin, `group=${groupA.groupId}&consent=consented&sort=quiet`)).toEqual(
        [p6, p2, p1].map((p) => p.participant.ogscId),
      );
      for (const sort of ['newest', 'ogsc_id', 'last_reading', 'quiet']) {
        const seen: string[] = [];
        let path: string | null = `/participants?group=${groupA.groupId}&sort=${sort}`;
        let pages = 0;
        while (path && pages < 10) {
          const page = await portal.admin.get(path);
          expect(page.status).toBe(200);
          seen.push(...listed(page.text));
          path = nextLink(page.text);
          pages++;
        }
        expect([sort, pages, seen.length, new Set(seen).size]).toEqual([sort, 3, 126, 126]);
        if (sort === 'ogsc_id') expect(seen).toEqual([...seen].sort());
        if (sort === 'newest') {
          const order = await sql(
            `select p.ogsc_id from enrollment e join participant p on p.id = e.participant_id where e.group_id = $1 order by e.created_at desc, e.id desc`,
            [groupA.id],
          );
          expect(seen).toEqual(order.map((row) => row.ogsc_id));
        }
      }
    });

    it('answers a clear 400 to filter values the form never sends, and 404 to a group that is not the user’s', async () => {
      for (const query of [
        'consent=bogus',
        'sort=random',
        'reading=yesterday',
        'connection=x',
        'method=y',
        'after=garbage',
        'sort=ogsc_id&after=x~y',
        'q=a&q=b',
        `q=${'x'.repeat(201)}`,
      ]) {
        const page = await portal.admin.get(`/participants?${query}`);
        expect([query, page.status]).toEqual([query, 400]);
        expect(page.text).toContain('Something is wrong with this request');
      }
      expect((await portal.admin.get('/participants?group=ZZZZZZZZZZZZ')).status).toBe(404);
      expect((await groupAdmin.get(`/participants?group=${groupA.groupId}`)).status).toBe(404);
    });

    it('shows a group admin only the enrollments of their groups', async () => {
      expect((await search(groupAdmin, '')).sort()).toEqual([p1, p7].map((p) => p.participant.ogscId).sort());
      expect(await search(groupAdmin, 'q=A-0002')).toEqual([]);
      const page = await groupAdmin.get('/participants');
      expect(page.text).not.toContain('A-0001');
      expect(page.text).not.toContain('Heart Study');
    });
  });

  describe('participant page', () => {
    const rowsOf = async (table: string, columns: string, participant: CreatedParticipant, extra = '') =>
      sql(`select id::text, measured_at, ${columns} from ${table} where participant_id = $1 ${extra} order by measured_at`, [
        participant.participant.id,
      ]);

    it('draws every stored reading of the period where its values say, with possible-AFib readings marked', async () => {
      const page = await portal.admin.get(`/participants/${p1.participant.ogscId}`);
      expect(page.status).toBe(200);
      // The admin's view of someone else, not the participant's own page.
      expect(/<h1>([^<]*)</.exec(page.text)?.[1].trim()).toBe('Participant');
      expect(page.text).not.toContain('Your participation');
      const bp = chart(page.text, 'blood-pressure');
      const stored = await rowsOf('blood_pressure_reading', 'systolic_mmhg, diastolic_mmhg, possible_afib', p1);
      expect(stored.length).toBe(50);
      const points = elements(bp, 'circle');
      const root = elements(bp, 'svg')[0];
      const [left, top, width, height] = root['data-plot'].split(' ').map(Number);
      const [x0, x1, y0, y1] = ['data-x0', 'data-x1', 'data-y0', 'data-y1'].map((name) => Number(root[name]));
      for (const series of ['systolic', 'diastolic'] as const) {
        const drawn = points.filter((point) => point['data-series'] === series);
        const expected = stored.filter((row) => !row.possible_afib);
        expect(drawn.map((point) => [point['data-row'], point['data-at'], Number(point['data-value'])])).toEqual(
          expected.map((row) => [row.id, (row.measured_at as Date).toISOString(), row[`${series}_mmhg`]]),
        );
        for (const point of drawn) {
          expect(Number(point.cx)).toBeCloseTo(left + ((Date.parse(point['data-at']) - x0) / (x1 - x0)) * width, 1);
          expect(Number(point.cy)).toBeCloseTo(top + height - ((Number(point['data-value']) - y0) / (y1 - y0)) * height, 1);
        }
      }
      const markers = elements(bp, 'g').filter((group) => group.class === 'marker');
      const afib = stored.filter((row) => row.possible_afib);
      expect(markers.map((marker) => marker['data-row'])).toEqual(afib.map((row) => row.id));
      expect(afib.every((row) => row.systolic_mmhg === null)).toBe(true);
      // The table marks them too, and the guideline bands are drawn.
      expect((page.text.match(/<tr data-row="\d+" id="reading-\d+" class="afib">/g) ?? []).length).toBe(afib.length);
      expect(
        elements(bp, 'rect')
          .filter((rect) => rect.class === 'band')
          .map((band) => band['data-band']),
      ).toEqual(['≥140 stage 2', '130 stage 1', '120 elevated']);
    });

    it('charts weight, steps by day and hour, temperature, SpO2 and the ECG waveform from the stored rows', async () => {
      const page = await portal.admin.get(`/participants/${p1.participant.ogscId}`);
      const values = (markup: string, tag: string, key: string) =>
        elements(markup, tag)
          .filter((element) => element['data-row'])
          .map((element) => [element['data-row'], Number(element[key])]);

      const weight = await rowsOf('weight_reading', 'weight_kg', p1);
      expect(values(chart(page.text, 'weight'), 'circle', 'data-value')).toEqual(weight.map((row) => [row.id, row.weight_kg]));
      const temperature = await rowsOf('temperature_reading', 'temperature_c', p1);
      expect(values(chart(page.text, 'temperature'), 'circle', 'data-value')).toEqual(
        temperature.map((row) => [row.id, row.temperature_c]),
      );
      const oxygen = await rowsOf('oxygen_reading', 'spo2_percent', p1);
      expect(values(chart(page.text, 'oxygen'), 'circle', 'data-value')).toEqual(oxygen.map((row) => [row.id, row.spo2_percent]));

      const days = await rowsOf('activity_reading', 'steps, local_time', p1);
      const bars = elements(chart(page.text, 'steps'), 'rect').filter((rect) => rect.class === 'bar');
      expect(bars.map((bar) => [bar['data-row'], bar['data-category'], Number(bar['data-value'])])).toEqual(
        days.map((row) => [row.id, String(row.local_time).slice(0, 10), row.steps]),
      );
      // The latest day's hourly detail by default; 24 hours that add up to the day.
      const latestDay = days.at(-1)!;
      const hours = await sql(`select hour, steps from activity_hourly_reading where activity_id = $1 order by hour`, [latestDay.id]);
      const hourly = elements(chart(page.text, 'steps-hourly'), 'rect').filter((rect) => rect.class === 'bar');
      expect(hourly.map((bar) => [bar['data-category'], Number(bar['data-value'])])).toEqual(
        hours.map((row) => [String(row.hour), row.steps]),
      );
      expect(hours.reduce((sum, row) => sum + Number(row.steps), 0)).toBe(latestDay.steps);
      // Choosing another day shows that day's hours.
      const firstDay = days[0];
      const other = await portal.admin.get(
        `/participants/${p1.participant.ogscId}?days=30&day=${String(firstDay.local_time).slice(0, 10)}`,
      );
      const otherHours = await sql(`select steps from activity_hourly_reading where activity_id = $1 order by hour`, [firstDay.id]);
      expect(
        elements(chart(other.text, 'steps-hourly'), 'rect')
          .filter((rect) => rect.class === 'bar')
          .map((bar) => Number(bar['data-value'])),
      ).toEqual(otherHours.map((row) => row.steps));

      const [ecg] = await sql(
        `select id::text, waveform_uv, sampling_rate_hz from ecg_reading where participant_id = $1 order by measured_at desc limit 1`,
        [p1.participant.id],
      );
      const waveform = chart(page.text, `ecg-${ecg.id}`);
      const decoded: number[] = [];
      for (const line of elements(waveform, 'polyline')) {
        const baseline = Number(line['data-baseline']);
        line.points.split(' ').forEach((pair, index) => {
          decoded[Number(line['data-first-sample']) + index] = Math.round((baseline - Number(pair.split(',')[1])) * 100) + 0;
        });
      }
      expect(decoded).toEqual((ecg.waveform_uv as number[]).map((sample) => sample + 0));
    });

    it('shows identity, both enrollments, the connection with its history, devices, and times in the environment’s zone', async () => {
      const page = await portal.admin.get(`/participants/${p2.participant.ogscId}?days=90`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('A-0002');
      expect(page.text).toContain('data-connection-state="reconnect_needed"');
      expect(page.text).toContain('invalid_grant');
      const history = /<table class="table compact" id="connection-history">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page.text)![1];
      expect(history.match(/<tr>/g)).toHaveLength(2);
      const [latest] = await sql(
        `select measured_at from blood_pressure_reading where participant_id = $1 order by measured_at desc limit 1`,
        [p2.participant.id],
      );
      const tokyo = new Intl.DateTimeFormat('en-US', {
        timeZone: 'Asia/Tokyo',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      }).format(latest.measured_at as Date);
      expect(page.text).toContain(`${tokyo} GMT+9`);
      const both = await portal.admin.get(`/participants/${p1.participant.ogscId}`);
      expect(both.text).toContain('A-0001');
      expect(both.text).toContain('B-0001');
      const devices = await sql(`select device_type from participant_device where participant_id = $1`, [p1.participant.id]);
      for (const device of devices) expect(both.text).toContain(String(device.device_type));
    });

    it('moves between periods, points to the latest reading when a period is empty, and refuses a bad period', async () => {
      const week = await portal.admin.get(`/participants/${p1.participant.ogscId}?days=7`);
      const inWeek = await sql(
        `select count(*)::int as n from blood_pressure_reading where participant_id = $1 and measured_at > now() - interval '8 days'`,
        [p1.participant.id],
      );
      const drawn =
        elements(chart(week.text, 'blood-pressure'), 'circle').length / 2 +
        elements(chart(week.text, 'blood-pressure'), 'g').filter((g) => g.class === 'marker').length;
      expect(drawn).toBeLessThanOrEqual(Number(inWeek[0].n));
      expect(drawn).toBeGreaterThan(0);
      const empty = await portal.admin.get(`/participants/${p2.participant.ogscId}?days=7`);
      expect(empty.text).toContain('No readings in this period. The latest reading is from');
      const latestLink = decode(/The latest reading is from [^<]+<a href="([^"]+)">/.exec(empty.text)![1]);
      const shown = await portal.admin.get(latestLink);
      expect(elements(chart(shown.text, 'blood-pressure'), 'circle').length).toBeGreaterThan(0);
      for (const query of ['days=5', 'days=x', 'end=2999-01-01', 'end=2026-02-30', 'day=tomorrow', 'ecg=abc', 'days=7&days=30']) {
        expect([query, (await portal.admin.get(`/participants/${p1.participant.ogscId}?${query}`)).status]).toEqual([query, 400]);
      }
      expect((await portal.admin.get('/participants/OG-NOTANIDATALL')).status).toBe(404);
      expect((await portal.admin.get(`/participants/${generateOgscId()}`)).status).toBe(404);
    });

    it('answers 404 to a group admin for a participant outside their groups, and shows only their group’s enrollment', async () => {
      expect((await groupAdmin.get(`/participants/${p2.participant.ogscId}`)).status).toBe(404);
      expect((await groupAdmin.post(`/participants/${p2.participant.ogscId}/sync`, {})).status).toBe(404);
      const shared = await groupAdmin.get(`/participants/${p1.participant.ogscId}`);
      expect(shared.status).toBe(200);
      expect(shared.text).toContain('B-0001');
      expect(shared.text).not.toContain('A-0001');
      expect(shared.text).not.toContain('Heart Study');
    });

    it('lets a viewer read but not sync or retry', async () => {
      const page = await viewer.get(`/participants/${p1.participant.ogscId}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('token refresh refused (invalid_grant)');
      expect(page.text).not.toContain('Sync now');
      expect((await viewer.post(`/participants/${p1.participant.ogscId}/sync`, {})).status).toBe(403);
      expect((await portal.admin.post(`/participants/${p1.participant.ogscId}/sync`, { kind: 'everything' })).status).toBe(400);
      const syncPage = await viewer.get('/sync');
      expect(syncPage.status).toBe(200);
      expect(syncPage.text).toContain('gave up after 5 attempts: HTTP 500');
      expect(syncPage.text).not.toContain('/retry"');
      const [dead] = await sql(`select id::text as id from sync_dead_letter where job_id = 'job-a'`);
      expect((await viewer.post(`/sync/dead-letters/${String(dead.id)}/retry`, {})).status).toBe(403);
      expect(await sql(`select resolved_at from sync_dead_letter where job_id = 'job-a'`)).toEqual([{ resolved_at: null }]);
    });
  });

  describe('sync status from the sync module (SyncStatusService)', () => {
    /** The text of a `<dt>label</dt><dd>…</dd>` pair. */
    const fact = (page: string, label: string) => new RegExp(`<dt>${label}</dt><dd[^>]*>([^<]*)<`).exec(page)?.[1];
    let deadA: string;
    let deadB: string;

    beforeAll(async () => {
      [{ id: deadA }, { id: deadB }] = (await sql(`select id::text as id from sync_dead_letter order by job_id`)) as { id: string }[];
    });

    it('shows queue, failures, dead letters, inbox, rate limit, circuit and next runs on the dashboard and the sync page', async () => {
      const home = await portal.admin.get('/');
      expect(/data-figure="queueDepth"[^>]*>(\d+)</.exec(home.text)![1]).toBe('2');
      expect(/data-figure="failures24h"[^>]*>(\d+)</.exec(home.text)![1]).toBe('1');
      expect(/data-figure="deadLetters"[^>]*>(\d+)</.exec(home.text)![1]).toBe('2');
      expect(home.text).toContain('Open: calls held back after repeated failures');
      expect(home.text).toContain('5 failures of 3 participants in the last 60 s');
      expect(home.text).toContain('Held back until');
      expect(home.text).toContain('reconciliation: ');

      const page = await portal.admin.get('/sync');
      expect(page.status).toBe(200);
      expect(page.text).toContain('gave up after 5 attempts: HTTP 500');
      expect(page.text).toContain('UpstreamUnavailableError: 5 attempts failed');
      expect(page.text).toContain('token refresh refused (invalid_grant)');
      expect(page.text).toContain(`action="/sync/dead-letters/${deadA}/retry"`);
      expect(page.text).toContain(`action="/sync/dead-letters/${deadB}/retry"`);
      // Three notifications today and one three days ago; one waits for the dispatcher.
      expect([fact(page.text, 'Received \\(24 h\\)'), fact(page.text, 'Waiting')]).toEqual(['4', '1']);
      expect(fact(page.text, 'Duplicates dropped \\(24 h\\)')).toBe('');
      const jobs = page.text.slice(page.text.indexOf('id="jobs"'), page.text.indexOf('id="failures"'));
      expect(jobs).toContain(p1.participant.ogscId);
      expect(jobs).toContain(p7.participant.ogscId);
    });

    it('shows a group admin only their groups’ participants, and answers 404 to a retry outside them', async () => {
      const page = await groupAdmin.get('/sync');
      expect(page.status).toBe(200);
      expect(page.text).toContain('UpstreamUnavailableError: 5 attempts failed');
      expect(page.text).not.toContain('HTTP 500');
      expect(page.text).not.toContain(p2.participant.ogscId);
      expect(fact(page.text, 'Pulls that gave up')).toBe('1');
      expect((await groupAdmin.post(`/sync/dead-letters/${deadA}/retry`, {})).status).toBe(404);
      expect(await sql(`select resolved_at from sync_dead_letter where id = $1`, [deadA])).toEqual([{ resolved_at: null }]);
      const home = await groupAdmin.get('/');
      expect(/data-figure="deadLetters"[^>]*>(\d+)</.exec(home.text)![1]).toBe('1');
    });

    it('shows the participant’s ledger for every kind, with the readings stored', async () => {
      const ledger = await portal.app.get(SyncStatusService).ledger(p1.participant.id);
      const stored = await sql(`select count(*)::int as n from blood_pressure_reading where participant_id = $1`, [p1.participant.id]);
      expect(ledger.map((entry) => [entry.kind, entry.lastOutcome])).toEqual([
        ['blood_pressure', 'ok'],
        ['activity', 'never'],
        ['weight', 'failed'],
        ['temperature', 'never'],
        ['oxygen', 'never'],
        ['ecg', 'never'],
      ]);
      expect(ledger[0].readingsStored).toBe(stored[0].n);
      expect(ledger[1].nextRunAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    });

    it('queues "sync now" through the ledger and the job queue, audited with the request', async () => {
      const none = await portal.admin.post(`/participants/${p3.participant.ogscId}/sync`, {});
      expect(none.headers.location).toBe(`/participants/${p3.participant.ogscId}?notice=sync_not_connected#sync`);
      expect(await sql(`select count(*)::int as n from sync_ledger where participant_id = $1`, [p3.participant.id])).toEqual([{ n: 0 }]);

      const queued = await portal.admin.post(`/participants/${p2.participant.ogscId}/sync`, { kind: '' });
      expect(queued.headers.location).toBe(`/participants/${p2.participant.ogscId}?notice=sync_queued#sync`);
      const ledger = await sql(`select kind from sync_ledger where participant_id = $1 and last_requested_at is not null order by kind`, [
        p2.participant.id,
      ]);
      expect(ledger.map((row) => row.kind)).toEqual(['activity', 'blood_pressure', 'oxygen', 'temperature', 'weight']);
      const jobs = await sql(`select count(*)::int as n from pgboss.job where name = 'sync-pull' and data->>'participantId' = $1`, [
        p2.participant.id,
      ]);
      expect(jobs).toEqual([{ n: 5 }]);
      expect(await sql(`select actor_login, target_id, detail from audit_event where action = 'sync.requested'`)).toEqual([
        { actor_login: 'data-admin', target_id: p2.participant.ogscId, detail: { kind: 'all' } },
      ]);
    });

    it('writes "sync now" through the caller’s transaction: rolled back, it leaves no request and no job', async () => {
      const service = portal.app.get(SyncStatusService);
      const rows = async () => [
        ...(await sql(`select count(*)::int as n from sync_ledger where participant_id = $1`, [p6.participant.id])),
        ...(await sql(`select count(*)::int as n from pgboss.job where name = 'sync-pull' and data->>'participantId' = $1`, [
          p6.participant.id,
        ])),
      ];
      const rollback = portal.app
        .get(MikroORM)
        .em.fork()
        .transactional(async (em) => {
          expect(await service.requestSync(em, p6.participant.id, 'weight', { login: 'data-admin' })).toBe('queued');
          expect(
            await em.execute(`select count(*)::int as n from pgboss.job where data->>'participantId' = ?`, [p6.participant.id]),
          ).toEqual([{ n: 1 }]);
          throw new Error('rolled back');
        });
      await expect(rollback).rejects.toThrow('rolled back');
      expect(await rows()).toEqual([{ n: 0 }, { n: 0 }]);
    });

    it('retries a dead letter: a new pull is requested, the letter leaves the list, and the retry is audited', async () => {
      expect((await portal.admin.post('/sync/dead-letters/unknown/retry', {})).status).toBe(404);
      expect((await portal.admin.post('/sync/dead-letters/999999/retry', {})).status).toBe(404);
      const retried = await portal.admin.post(`/sync/dead-letters/${deadA}/retry`, {});
      expect([retried.status, retried.headers.location]).toEqual([303, '/sync?notice=dead_letter_retried#dead-letters']);
      const [letter] = await sql(`select resolved_at from sync_dead_letter where id = $1`, [deadA]);
      expect(letter.resolved_at).not.toBeNull();
      expect((await portal.admin.get('/sync')).text).not.toContain(`/sync/dead-letters/${deadA}/retry`);
      expect((await portal.admin.post(`/sync/dead-letters/${deadA}/retry`, {})).status).toBe(404);
      expect(await sql(`select actor_login, target_id from audit_event where action = 'sync.dead_letter_retried'`)).toEqual([
        { actor_login: 'data-admin', target_id: deadA },
      ]);
    });
  });
});
