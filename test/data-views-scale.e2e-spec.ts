import type { PortalUser } from '@opendsp/admin-auth';
import { MikroORM } from '@mikro-orm/postgresql';
import { DashboardSnapshots, ParticipantList, parseParticipantFilters } from '@opendsp/data-views';
import { consentedMemberListSql, ParticipantListQuery } from '@opendsp/participants';
import { FULL_SCALE, scaleGroupId, scaleOgscId, seedScale } from './support/data-views-scale-seed.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'data views scale passphrase';

/**
 * 100,000 participants (110,000 enrollments, 90,000 connections) with a few readings each: the list's
 * statements use their indexes (checked with EXPLAIN on the exact SQL the page runs), pages stay quick,
 * and the dashboard's snapshot agrees with counting the rows directly. The 10-million-reading timings
 * are in `npm run bench -- portal-pages`.
 */
describe('portal data views with 100,000 participants', () => {
  let portal: SignedInPortal;
  let user: PortalUser;
  const sql = (text: string, params: unknown[] = []) => portal.sql(text, params) as Promise<Record<string, unknown>[]>;

  beforeAll(async () => {
    portal = await startSignedInPortal('scale-admin', PASSWORD);
    await seedScale(portal.database.settings, {
      ...FULL_SCALE,
      readingsPerParticipant: { blood_pressure: 3, weight: 1, activity: 1, temperature: 1, oxygen: 1 },
    });
    const [admin] = await sql(`select id from admin_account where login_id = 'scale-admin'`);
    user = { id: String(admin.id), loginId: 'scale-admin', displayName: 'Scale', role: 'partner-admin' };
  }, 600_000);
  afterAll(() => portal?.close());

  /** The plan of the list's statement for a query string, as the page would run it. */
  async function plan(query: string): Promise<string> {
    const parsed = parseParticipantFilters(Object.fromEntries(new URLSearchParams(query)));
    if (!parsed.ok) throw new Error(query);
    return portal.app.get(ParticipantList).explain(user, parsed.filters);
  }

  it('runs every order, filter and search of the list on an index, never scanning enrollments or participants whole', async () => {
    const expected: [string, RegExp][] = [
      ['', /enrollment_created_at_id_index/],
      ['sort=last_reading', /enrollment_last_reading_id_index/],
      ['sort=quiet&consent=consented&reading=stale', /enrollment_last_reading_id_index/],
      [`group=${scaleGroupId(3)}&sort=last_reading`, /enrollment_group_last_reading_id_index/],
      [`group=${scaleGroupId(3)}`, /enrollment_group_created_at_id_index|enrollment_group_status_index/],
      ['sort=ogsc_id', /participant_ogsc_id_unique/],
      // 2 % of connections: walking the newest enrollments and checking each connection finds a page soonest.
      ['connection=reconnect_needed', /omron_connection_refresh_due_idx|enrollment_created_at_id_index/],
      [`sort=ogsc_id&after=${scaleOgscId(50)}~00000000-0000-4000-8000-000000000000`, /Index Cond: \(ogsc_id >= /],
      ['q=CUST-0050000', /enrollment_internal_customer_id_pattern_index/],
      [`q=${scaleOgscId(12345).slice(0, 9)}`, /participant_ogsc_id_pattern_index/],
      ['q=scale-login-5000', /participant_login_id_pattern_index/],
    ];
    const problems: string[] = [];
    for (const [query, index] of expected) {
      const text = await plan(query);
      if (!index.test(text)) problems.push(`${query || '(no filter)'}: expected ${index}\n${text}`);
      if (/Seq Scan on (enrollment|participant)\b/.test(text)) problems.push(`${query || '(no filter)'}: scans a whole table\n${text}`);
    }
    expect(problems).toEqual([]);
  });

  it('pages the API’s list of people by OGSC ID on its index, with or without a scope, cursor or change time', async () => {
    const list = portal.app.get(ParticipantListQuery);
    const em = portal.app.get(MikroORM).em.fork();
    const [group] = await sql(`select id from program_group where group_id = $1`, [scaleGroupId(3)]);
    const problems: string[] = [];
    for (const criteria of [
      { groupIds: null, limit: 50 },
      { groupIds: null, after: scaleOgscId(50_000), limit: 50 },
      { groupIds: [String(group.id)], status: 'consented' as const, limit: 50 },
      { groupIds: null, changedSince: new Date(Date.now() - 86_400_000), limit: 50 },
    ]) {
      const text = await list.explainPeople(em, criteria);
      if (!/participant_ogsc_id_unique/.test(text)) problems.push(`${JSON.stringify(criteria)}: expected the OGSC ID index\n${text}`);
      if (/Seq Scan on (enrollment|participant)\b/.test(text)) problems.push(`${JSON.stringify(criteria)}: scans a whole table\n${text}`);
    }
    expect(problems).toEqual([]);
  });

  it('reads a group’s consented members (the insights lists’ start) from indexes alone, never a whole table', async () => {
    const [group] = await sql(`select id from program_group where group_id = $1`, [scaleGroupId(3)]);
    // The seed vacuums, so the visibility map lets an index answer without visiting the heap.
    const text = (await sql(`explain ${consentedMemberListSql('$1::uuid')}`, [group.id])).map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index Only Scan using enrollment_group_status_index on enrollment/);
    expect(text).toMatch(/Index Only Scan using participant_id_covering_index on participant/);
    expect(text).not.toMatch(/Seq Scan/);
  });

  // Speed is proved without a clock: the test above shows every list query walks an index, and
  // `npm run bench -- portal-pages` measures page times against a baseline of the same run.
  it('serves list pages, a deep page and participant pages', async () => {
    const get = async (path: string) => {
      const page = await portal.admin.get(path);
      expect([path, page.status]).toEqual([path, 200]);
      return page;
    };
    for (const path of [
      '/participants',
      '/participants?consent=consented&reading=stale&sort=quiet',
      '/participants?connection=reconnect_needed',
      `/participants?group=${scaleGroupId(7)}&sort=last_reading`,
      '/participants?q=CUST-0077777',
      `/participants/${scaleOgscId(1)}?days=365`,
    ]) {
      await get(path);
    }
    const [middle] = await sql(
      `select p.ogsc_id, e.id from enrollment e join participant p on p.id = e.participant_id order by p.ogsc_id, e.id offset 90000 limit 1`,
    );
    const deep = await get(`/participants?sort=ogsc_id&after=${String(middle.ogsc_id)}~${String(middle.id)}`);
    const first = /<a href="\/participants\/(OG-[0-9A-Z]{24})" class="ogsc-id">/.exec(deep.text)![1];
    expect(first > String(middle.ogsc_id) || first === String(middle.ogsc_id)).toBe(true);
  });

  it('computes the dashboard snapshot that counting the rows directly gives, and serves it', async () => {
    const snapshots = portal.app.get(DashboardSnapshots);
    // The scheduler's refresh may hold the lock, started before the seed landed: let it end, then recompute.
    do await snapshots.refreshOnce();
    while (!(await snapshots.refresh()));
    const snapshot = await sql(
      `select g.group_id, s.invited, s.consented, s.first_reading, s.active, s.stale, s.reconnect_needed, s.withdrawn, s.readings7d
         from group_dashboard_snapshot s join program_group g on g.id = s.group_id order by g.group_id`,
    );
    const direct = await sql(
      `select g.group_id,
              count(e.*)::int as invited,
              count(*) filter (where e.status = 'consented')::int as consented,
              count(*) filter (where e.status = 'consented' and e.first_reading_at is not null)::int as first_reading,
              count(*) filter (where e.status = 'consented' and e.last_reading_at >= now() - interval '7 days')::int as active,
              count(*) filter (where e.status = 'consented' and e.last_reading_at < now() - interval '7 days')::int as stale,
              count(*) filter (where e.status = 'consented' and c.state = 'reconnect_needed')::int as reconnect_needed,
              count(*) filter (where e.status = 'withdrawn')::int as withdrawn,
              coalesce(sum((select count(*) from blood_pressure_reading r where r.participant_id = e.participant_id and r.created_at >= now() - interval '7 days')
                + (select count(*) from weight_reading r where r.participant_id = e.participant_id and r.created_at >= now() - interval '7 days')
                + (select count(*) from activity_reading r where r.participant_id = e.participant_id and r.created_at >= now() - interval '7 days')
                + (select count(*) from temperature_reading r where r.participant_id = e.participant_id and r.created_at >= now() - interval '7 days')
                + (select count(*) from oxygen_reading r where r.participant_id = e.participant_id and r.created_at >= now() - interval '7 days')
                + (select count(*) from ecg_reading r where r.participant_id = e.participant_id and r.created_at >= now() - interval '7 days'))
                filter (where e.status = 'consented'), 0)::int as readings7d
         from program_group g join enrollment e on e.group_id = g.id
         join participant p on p.id = e.participant_id left join omron_connection c on c.omron_user_id = p.omron_user_id
        group by g.group_id order by g.group_id`,
    );
    expect(snapshot).toEqual(direct);
    expect(direct.reduce((sum, row) => sum + Number(row.invited), 0)).toBe(110_000);
    const home = await portal.admin.get('/');
    expect(home.status).toBe(200);
    expect(/data-figure="invited"[^>]*>([\d,]+)</.exec(home.text)![1]).toBe('110,000');
  });
});
