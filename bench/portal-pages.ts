// Server time of the portal's data views at production size: `npm run bench -- portal-pages [--scale 0.1] [--reuse] [--keep]`.
// Seeds 100,000 participants and about 10 million readings into a scratch database on the machine's PostgreSQL
// (DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432), then prints p50/p95 per page next to
// GET /health/ready (an HTTP request with one database round trip) measured in the same run.
//   --scale f   seed f × the full size (participants and readings), for a quick look
//   --reuse     keep using the scratch database of an earlier `--keep` run instead of seeding again (migrated first)
//   --keep      leave the scratch database for a later `--reuse`
//   --name db   the scratch database's name (default opendsp_bench_portal_pages), so two runs need not share one
//   --samples n requests per page (default 100)
//   --only a,b  time only the pages whose label contains one of these (e.g. `--only insights`), and skip the list's plans
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { MikroORM } from '@mikro-orm/postgresql';
import request from 'supertest';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { ApiClient, ApiClientGroup, formatScopes, hashCredential, newClientSecret } from '@opendsp/api';
import { loadDspConfig } from '@opendsp/config';
import { DashboardSnapshots, ParticipantList, parseParticipantFilters } from '@opendsp/data-views';
import { dspOrmConfig } from '@opendsp/database';
import { ReadingDays } from '@opendsp/insights';
import { lockChangeSequence } from '@opendsp/measurements';
import { GroupAdminMembership, GroupPagePanels, ProgramGroup, type GroupPagePanel } from '@opendsp/groups';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { adminQuery, databaseUrl, migrateEverything } from '../test/support/test-database.js';
import { FULL_SCALE, scaleGroupId, scaleOgscId, seedScale } from '../test/support/data-views-scale-seed.js';
import { testDspEnv } from '../test/support/test-environment.js';
import { percentile, printComparison, timed } from './support/report.js';

const args = process.argv.slice(2);
const scale = args.includes('--scale') ? Number(args[args.indexOf('--scale') + 1]) : 1;
const reuse = args.includes('--reuse');
const keep = args.includes('--keep') || reuse;
const SAMPLES = args.includes('--samples') ? Number(args[args.indexOf('--samples') + 1]) : 100;
const PASSWORD = 'portal pages bench passphrase';
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = args.includes('--name') ? args[args.indexOf('--name') + 1] : 'opendsp_bench_portal_pages';
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const settings = { url: databaseUrl(server, name), poolMax: 10 };

const shape = {
  ...FULL_SCALE,
  participants: Math.round(FULL_SCALE.participants * scale),
  readingsPerParticipant: FULL_SCALE.readingsPerParticipant,
};
if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]');

const exists = (await adminQuery(server, `select 1 from pg_database where datname = $1`, [name])).length > 0;
if (!(reuse && exists)) {
  await adminQuery(server, `drop database if exists "${name}" with (force)`);
  await adminQuery(server, `create database "${name}"`);
  await migrateEverything(settings);
  console.log(`seeding ${shape.participants.toLocaleString('en-US')} participants into ${name}:`);
  const { seconds } = await timed(() => seedScale(settings, shape, console.log));
  console.log(`seeded in ${seconds.toFixed(0)} s`);
} else {
  // A kept database gets the migrations added since it was seeded (new indexes, kept state), as a deployment would;
  // timed, since one may convert a table of millions of rows.
  const { seconds } = await timed(() => migrateEverything(settings));
  console.log(`migrations applied in ${seconds.toFixed(1)} s`);
}

const [counts] = await adminQuery(
  settings.url,
  `select (select count(*) from participant) as participants, (select count(*) from enrollment) as enrollments,
     (select count(*) from blood_pressure_reading) + (select count(*) from weight_reading) + (select count(*) from activity_reading)
       + (select count(*) from temperature_reading) + (select count(*) from oxygen_reading) + (select count(*) from ecg_reading) as readings,
     (select count(*) from activity_hourly_reading) as hourly`,
);
console.log(
  `scale: ${Number(counts.participants).toLocaleString('en-US')} participants, ${Number(counts.enrollments).toLocaleString('en-US')} enrollments, ` +
    `${Number(counts.readings).toLocaleString('en-US')} readings (+ ${Number(counts.hourly).toLocaleString('en-US')} hourly activity rows)`,
);

// Admins: a partner admin, and a group admin of one group (a twentieth of the participants).
const orm = await MikroORM.init(dspOrmConfig(settings));
const em = orm.em.fork();
await em.nativeDelete(AdminAccount, { loginId: { $in: ['bench-partner', 'bench-group'] } });
const hash = await PasswordHasher.hash(PASSWORD);
const partner = Object.assign(new AdminAccount('bench-partner', 'Bench partner', 'p@example.test', 'partner-admin'), {
  passwordHash: hash,
});
const groupAdmin = Object.assign(new AdminAccount('bench-group', 'Bench group admin', 'g@example.test', 'group-admin'), {
  passwordHash: hash,
});
const group = await em.findOneOrFail(ProgramGroup, { groupId: scaleGroupId(3) });
em.persist([partner, groupAdmin, new GroupAdminMembership(groupAdmin, group)]);
// An API client of the same group, for the REST API's adherence list (the portal list's statement).
await em.nativeDelete(ApiClient, { name: 'bench insights client' });
const apiSecret = newClientSecret();
const apiClient = new ApiClient({
  name: 'bench insights client',
  scopes: formatScopes(['insights:read']),
  allGroups: false,
  secretHash: hashCredential(apiSecret),
});
em.persist([apiClient, new ApiClientGroup(apiClient, group)]);
await em.flush();
await orm.close(true);

// As deployed (the Dockerfile sets it): Express caches compiled views only in production.
process.env.NODE_ENV = 'production';
const app = await createDspApp(
  loadDspConfig(
    testDspEnv({ DATABASE_URL: settings.url, DSP_LANGUAGE: 'en', DATABASE_POOL_MAX: '10', API_RATE_LIMIT_PER_MINUTE: '1000000' }),
  ),
  {
    shutdownHooks: false,
  },
);
await app.init();
const http = app.getHttpServer() as Server;
const signIn = async (login: string) => {
  const client = new PortalTestClient(http);
  if ((await client.signIn(login, PASSWORD)).status !== 303) throw new Error(`sign-in of ${login} failed`);
  return client;
};
const admin = await signIn('bench-partner');
const scoped = await signIn('bench-group');
const token = await request(http)
  .post('/api/v1/oauth/token')
  .auth(apiClient.clientId, apiSecret)
  .type('form')
  .send({ grant_type: 'client_credentials' });
if (token.status !== 200) throw new Error(`API token: ${token.status}`);
/** The REST API as a partner system calls it: the bearer token, no cookies. */
const api: Client = {
  get: (path) =>
    request(http)
      .get(path)
      .auth(token.body.access_token as string, { type: 'bearer' }),
};

// libs/insights' summary by participant and month: the migration fills it from the readings stored when it runs, and the
// sync's writer keeps it; the seed writes readings with SQL after migrating, so it is rebuilt here once.
const [summary] = await adminQuery(settings.url, `select count(*)::int as rows from participant_reading_month`);
if (Number(summary.rows) === 0) {
  const rebuilt = await timed(() =>
    app
      .get(MikroORM)
      .em.fork()
      .transactional(async (tx) => {
        await lockChangeSequence(tx);
        await app.get(ReadingDays, { strict: false }).rebuildAll(tx);
      }),
  );
  await adminQuery(settings.url, `vacuum analyze participant_reading_month`);
  console.log(`insights summary rebuilt from every reading in ${rebuilt.seconds.toFixed(0)} s`);
}
const [days] = await adminQuery(settings.url, `select count(*)::int as rows from participant_reading_month`);
console.log(`insights summary: ${Number(days.rows).toLocaleString('en-US')} participant-months`);

const refresh = await timed(() => app.get(DashboardSnapshots).refresh());
console.log(`dashboard snapshot refresh (every group: funnel + readings received in 7 days): ${(refresh.seconds * 1000).toFixed(0)} ms`);

// A cursor deep into the list (page ~1,000 of group 3's last-reading order, and of the OGSC ID order).
const deep = async (query: string) => {
  let path = `/participants?${query}`;
  for (let page = 0; page < 3; page++) {
    const text = (await admin.get(path)).text;
    const next = /<a href="([^"]+)" rel="next">/.exec(text)?.[1];
    if (!next) break;
    path = next.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
  }
  return path;
};
const [middle] = await adminQuery(
  settings.url,
  `select ogsc_id from participant order by ogsc_id offset ${Math.floor(shape.participants / 2)} limit 1`,
);
const [middleEnrollment] = await adminQuery(
  settings.url,
  `select e.id from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1 limit 1`,
  [middle.ogsc_id],
);
const detail = Array.from({ length: 20 }, (_, index) => scaleOgscId(1 + index * FULL_SCALE.detailEvery)).filter(
  (_, index) => 1 + index * FULL_SCALE.detailEvery <= shape.participants,
);

interface Result {
  label: string;
  p50: number;
  p95: number;
  total: number;
}
interface Client {
  get(path: string): PromiseLike<{ status: number; text: string }>;
}
async function measure(label: string, client: Client, paths: string[]): Promise<Result> {
  for (const path of paths.slice(0, 3)) {
    const warm = await client.get(path);
    if (warm.status !== 200) throw new Error(`${label}: ${path} answered ${warm.status}`);
  }
  const times: number[] = [];
  for (let index = 0; index < SAMPLES; index++) {
    const path = paths[index % paths.length];
    const started = performance.now();
    const response = await client.get(path);
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`${label}: ${path} answered ${response.status}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { label, p50: percentile(sorted, 50), p95: percentile(sorted, 95), total: times.reduce((sum, ms) => sum + ms, 0) };
}

const baseline = await measure('GET /health/ready (baseline: HTTP + one query)', admin, ['/health/ready']);
const groupId = scaleGroupId(3);
/** A keyset page a few pages into a list, following its `rel="next"` links (the last page of a shorter list). */
const nextPages = async (path: string, count: number) => {
  for (let page = 0; page < count; page++) {
    const next = /<a href="([^"]+)" rel="next">/.exec((await admin.get(path)).text)?.[1];
    if (!next) break;
    path = next.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
  }
  return path;
};
const thisMonth = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 7); // DSP_TIMEZONE is Asia/Tokyo
const lastMonth = new Date(Date.UTC(Number(thisMonth.slice(0, 4)), Number(thisMonth.slice(5, 7)) - 2, 1)).toISOString().slice(0, 7);
const control = (query: string) => `/groups/${groupId}/blood-pressure/participants?${query}`;
const pages: [string, Client, string[]][] = [
  ['dashboard, partner admin (20 groups)', admin, ['/']],
  ['dashboard, one group', admin, [`/?group=${groupId}`]],
  ['dashboard, group admin', scoped, ['/']],
  ['participants, default (newest first)', admin, ['/participants']],
  ['participants, stale consented, quietest first', admin, ['/participants?consent=consented&reading=stale&sort=quiet']],
  ['participants, reconnect needed', admin, ['/participants?connection=reconnect_needed']],
  ['participants, pre-created accounts in a group', admin, [`/participants?group=${groupId}&method=pre_created`]],
  [
    'participants, search internal customer ID',
    admin,
    Array.from({ length: 10 }, (_, i) => `/participants?q=CUST-${String(1 + i * 7919).padStart(7, '0')}`),
  ],
  [
    'participants, search OGSC ID prefix',
    admin,
    Array.from({ length: 10 }, (_, i) => `/participants?q=${scaleOgscId(11 + i * 997).slice(0, 9)}`),
  ],
  ['participants, search login ID', admin, Array.from({ length: 10 }, (_, i) => `/participants?q=scale-login-${(i + 1) * 1000}`)],
  ['participants, group by last reading, page 4', admin, [await deep(`group=${groupId}&sort=last_reading`)]],
  ['participants, by OGSC ID from the middle', admin, [`/participants?sort=ogsc_id&after=${middle.ogsc_id}~${middleEnrollment.id}`]],
  ['participants, group admin', scoped, ['/participants', '/participants?reading=7d&sort=last_reading']],
  ['participant page, 30 days (6 kinds, ECG)', admin, detail.map((id) => `/participants/${id}`)],
  ['participant page, 365 days', admin, detail.map((id) => `/participants/${id}?days=365`)],
  ['participant page, group admin', scoped, detail.slice(0, 1).map((id) => `/participants/${id}`)],
  ['sync page', admin, ['/sync']],
  // libs/insights: every page of its portal controller, the group page's panel and the REST API's list.
  ['insights: group page (enrollment, alerts and blood-pressure control panels)', admin, [`/groups/${groupId}`]],
  ['insights: group page, group admin', scoped, [`/groups/${groupId}`]],
  ['insights: adherence, calendar month, most needed first', admin, [`/groups/${groupId}/adherence`]],
  ['insights: adherence, calendar month, fewest needed first', admin, [`/groups/${groupId}/adherence?period=calendar&order=needed_asc`]],
  ['insights: adherence, rolling 30 days, most needed first', admin, [`/groups/${groupId}/adherence?period=rolling&order=needed_desc`]],
  ['insights: adherence, rolling 30 days, fewest needed first', admin, [`/groups/${groupId}/adherence?period=rolling&order=needed_asc`]],
  ['insights: adherence, rolling, page 4', admin, [await nextPages(`/groups/${groupId}/adherence?period=rolling&order=needed_asc`, 3)]],
  ['insights: adherence, group admin', scoped, [`/groups/${groupId}/adherence`]],
  ['insights: adherence CSV download (every member), calendar', admin, [`/groups/${groupId}/adherence.csv?period=calendar`]],
  ['insights: adherence CSV download (every member), rolling', admin, [`/groups/${groupId}/adherence.csv?period=rolling`]],
  ['insights: API adherence, calendar, 100 rows', api, [`/api/v1/groups/${groupId}/adherence?period=calendar`]],
  ['insights: API adherence, rolling, 1,000 rows', api, [`/api/v1/groups/${groupId}/adherence?period=rolling&limit=1000`]],
  ['insights: blood-pressure control page (12-month trend)', admin, [`/groups/${groupId}/blood-pressure`]],
  ['insights: control, participants measured', admin, [control(`month=${thisMonth}&band=measured`)]],
  ['insights: control, participants under target', admin, [control(`month=${thisMonth}&band=target`)]],
  ['insights: control, participants under HEDIS', admin, [control(`month=${thisMonth}&band=hedis`)]],
  ['insights: control, participants over HEDIS (uncontrolled)', admin, [control(`month=${thisMonth}&band=uncontrolled`)]],
  ['insights: control, under target, last month', admin, [control(`month=${lastMonth}&band=target`)]],
  ['insights: control, under target, page 4', admin, [await nextPages(control(`month=${thisMonth}&band=target`), 3)]],
  ['insights: control, uncontrolled, group admin', scoped, [control(`month=${thisMonth}&band=uncontrolled`)]],
];
const results: Result[] = [];
for (const [label, client, paths] of pages) {
  if (only && !only.some((part) => label.includes(part))) continue;
  try {
    results.push(await measure(label, client, paths));
  } catch (error) {
    // The group admin sees only group 3; a detail participant elsewhere is a 404, which is right.
    if (label.includes('group admin') && String(error).includes('404')) continue;
    throw error;
  }
}

// The group page's panels one by one (each room's `load`, without HTTP or rendering), so its time can be told apart.
if (!only || only.some((part) => 'insights: group page'.includes(part))) {
  const shown = await app.get(MikroORM).em.fork().findOneOrFail(ProgramGroup, { groupId });
  // The panels are the page's private list; a benchmark may look.
  for (const panel of (app.get(GroupPagePanels) as unknown as { panels: GroupPagePanel[] }).panels) {
    const times: number[] = [];
    for (let index = 0; index < SAMPLES + 3; index++) {
      const started = performance.now();
      await panel.load(shown);
      if (index >= 3) times.push(performance.now() - started);
    }
    const sorted = [...times].sort((a, b) => a - b);
    results.push({
      label: `  group page panel ${panel.partial} (load only)`,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      total: times.reduce((sum, ms) => sum + ms, 0),
    });
  }
}

const width = Math.max(...[baseline, ...results].map((result) => result.label.length));
const line = (result: Result) =>
  `${result.label.padEnd(width)}  p50 ${result.p50.toFixed(1).padStart(6)} ms  p95 ${result.p95.toFixed(1).padStart(6)} ms  ` +
  `(p95 ${(result.p95 / baseline.p95).toFixed(1)}× baseline)${result.p95 > 100 ? '  OVER 100 ms' : ''}`;
console.log(`\n${SAMPLES} requests each, one at a time, in-process HTTP (supertest), times include HTTP:`);
console.log(line(baseline));
for (const result of results) console.log(line(result));
printComparison(
  'requests',
  { label: 'data-view pages', count: results.length * SAMPLES, seconds: results.reduce((sum, result) => sum + result.total, 0) / 1000 },
  { label: '/health/ready', count: SAMPLES, seconds: baseline.total / 1000 },
);

// The plans of the list's statements, as the page runs them (the same SQL, from ParticipantList.query).
if (!only) console.log('\nquery plans of the participant list (index use):');
const list = app.get(ParticipantList);
const user = { id: partner.id, loginId: 'bench-partner', displayName: 'Bench', role: 'partner-admin' as const };
for (const query of only
  ? []
  : [
      '',
      'sort=last_reading',
      'consent=consented&reading=stale&sort=quiet',
      'connection=reconnect_needed',
      `group=${groupId}&sort=last_reading`,
      'q=CUST-0050000',
      `q=${scaleOgscId(12345).slice(0, 9)}`,
      'sort=ogsc_id',
    ]) {
  const parsed = parseParticipantFilters(Object.fromEntries(new URLSearchParams(query)));
  if (!parsed.ok) throw new Error(query);
  const text = await list.explain(user, parsed.filters, { analyze: true });
  const indexes = [...new Set([...text.matchAll(/using (\w+)/gi)].map((match) => match[1]))];
  const seq = [...new Set([...text.matchAll(/Seq Scan on (\w+)/g)].map((match) => match[1]))];
  const time = /Execution Time: ([\d.]+) ms/.exec(text)?.[1];
  console.log(
    `  ${(query || '(no filter)').padEnd(44)} ${time?.padStart(8)} ms  indexes: ${indexes.join(', ')}${seq.length ? `  seq scans: ${seq.join(', ')}` : ''}`,
  );
}

await app.close();
if (!keep) await adminQuery(server, `drop database if exists "${name}" with (force)`);
else console.log(`\nkept ${name}; run again with --reuse to skip seeding`);
