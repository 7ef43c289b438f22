// What one portal request costs the web process, whatever the machine's load: `npm run bench -- portal-request-cost
// [--requests n] [--reuse] [--keep] [--name db]` (needs DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432).
// Seeds a small environment (1,000 participants, 20 groups; every 100th participant with readings of six kinds, hourly
// activity and ECG recordings) into a scratch database, starts the platform's web role in a child process
// (bench/support/web-role-process.ts, NODE_ENV=production, request logging on), signs a partner admin in, and asks
// for /health/ready (the baseline: HTTP and one statement), the dashboard and a participant page (30 days, six kinds
// and an ECG) one request at a time, in rounds that alternate the three. Per request it prints the web process's CPU
// (user + system, read by the process itself before and after each page's requests), the statements it sent to
// PostgreSQL (each one round trip) and the wall p50/p95, and each page's CPU and statements as a ratio to the
// baseline's. CPU time and statements hardly move with the load (wall times do: the load average is printed too).
// Its last line is `participant page: N ms CPU per request`.
//   --requests n  requests per page (default 300, split over 3 rounds)
//   --reuse       reuse the scratch database of an earlier `--keep` run instead of seeding again (migrated first)
//   --keep        leave the scratch database for a later `--reuse`
//   --name db     the scratch database's name (default portal_request_cost_bench)
// BENCH_CPU_PROFILE=<folder> writes the web process's V8 CPU profile of the measured requests there (web-role.cpuprofile);
// BENCH_SAVE_PAGES=<folder> writes each page's last answer there (what the bytes are);
// BENCH_LOG_STATEMENTS=1 has it write every statement's first 160 characters to stderr.
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { adminQuery, databaseUrl, migrateEverything } from '../test/support/test-database.js';
import { FULL_SCALE, scaleOgscId, seedScale, type ScaleShape } from '../test/support/data-views-scale-seed.js';
import { TEST_PRODUCTION_SETTINGS, testDspEnv } from '../test/support/test-environment.js';
import { percentile } from './support/report.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const REQUESTS = Number(option('--requests') ?? 300);
const ROUNDS = 3;
if (!Number.isInteger(REQUESTS) || REQUESTS < ROUNDS) throw new Error(`--requests must be a whole number of at least ${ROUNDS}`);
const reuse = args.includes('--reuse');
const keep = args.includes('--keep') || reuse;
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = option('--name') ?? 'portal_request_cost_bench';
const settings = { url: databaseUrl(server, name), poolMax: 10 };
const PASSWORD = 'portal request cost bench passphrase';
const SHAPE: ScaleShape = {
  participants: 1000,
  groups: 20,
  // Blood pressure twice a day and a daily weight, as a monitored participant takes them; the rest as portal-pages.
  readingsPerParticipant: { ...FULL_SCALE.readingsPerParticipant, blood_pressure: 730, weight: 365 },
  detailEvery: 100,
};

const exists = (await adminQuery(server, `select 1 from pg_database where datname = $1`, [name])).length > 0;
if (!(reuse && exists)) {
  await adminQuery(server, `drop database if exists "${name}" with (force)`);
  await adminQuery(server, `create database "${name}"`);
  await migrateEverything(settings);
  const started = performance.now();
  await seedScale(settings, SHAPE);
  console.log(`seeded ${SHAPE.participants} participants into ${name} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} else {
  // A kept database gets the migrations added since it was seeded, as a deployment would (portal-pages does the same).
  await migrateEverything(settings);
}

const orm = await MikroORM.init(dspOrmConfig(settings));
const em = orm.em.fork();
await em.nativeDelete(AdminAccount, { loginId: 'bench-partner' });
em.persist(
  Object.assign(new AdminAccount('bench-partner', 'Bench partner', 'p@example.test', 'partner-admin'), {
    passwordHash: await PasswordHasher.hash(PASSWORD),
  }),
);
await em.flush();
await orm.close(true);

// The web role, as deployed: its own process, NODE_ENV=production, request logs written (to /dev/null here).
const web: ChildProcess = fork(join(import.meta.dirname, 'support', 'web-role-process.js'), [], {
  execArgv: ['--enable-source-maps'],
  env: {
    ...process.env,
    ...testDspEnv({
      ...TEST_PRODUCTION_SETTINGS,
      DATABASE_URL: settings.url,
      DATABASE_POOL_MAX: '10',
      DSP_LANGUAGE: 'en',
      PROCESS_ROLE: 'web',
      LOG_LEVEL: 'info',
    }),
  },
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
});
const replies: ((message: Record<string, number | boolean>) => void)[] = [];
web.on('message', (message) => replies.shift()?.(message as Record<string, number | boolean>));
const reply = () => new Promise<Record<string, number | boolean>>((resolve) => replies.push(resolve));
const ask = (message: string) => {
  const answer = reply();
  web.send(message);
  return answer;
};

try {
  const port = (await reply()).ready as number;
  const base = `http://127.0.0.1:${port}`;
  await ask('refresh');
  const cookie = await signIn(base);
  const detail = Array.from({ length: SHAPE.participants / SHAPE.detailEvery }, (_, index) => scaleOgscId(1 + index * SHAPE.detailEvery));
  const pages: { label: string; paths: string[] }[] = [
    { label: 'GET /health/ready (baseline)', paths: ['/health/ready'] },
    { label: 'dashboard', paths: ['/'] },
    { label: 'participant page (6 kinds, ECG)', paths: detail.map((id) => `/participants/${id}`) },
  ];
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${body.slice(0, 200)}`);
    if (process.env.BENCH_SAVE_PAGES) writeFileSync(join(process.env.BENCH_SAVE_PAGES, `${path.split('/')[1] || 'dashboard'}.html`), body);
    return body.length;
  };
  // Warm-up: compiled views, prepared plans, the JIT.
  for (const { paths } of pages) for (let index = 0; index < 30; index++) await get(paths[index % paths.length]);

  web.send('profile');
  const totals = new Map(pages.map((page) => [page.label, { cpuMicros: 0, statements: 0, times: [] as number[], bytes: 0 }]));
  for (let round = 0; round < ROUNDS; round++)
    for (const { label, paths } of pages) {
      const total = totals.get(label)!;
      const before = await ask('count');
      for (let index = 0; index < REQUESTS / ROUNDS; index++) {
        const started = performance.now();
        total.bytes = await get(paths[index % paths.length]);
        total.times.push(performance.now() - started);
      }
      const after = await ask('count');
      total.cpuMicros += (after.cpuMicros as number) - (before.cpuMicros as number);
      // The two `count` messages send no statement; every statement between them belongs to these requests.
      total.statements += (after.statements as number) - (before.statements as number);
    }

  const [load1, load5] = loadavg();
  console.log(
    `portal request cost: ${REQUESTS} requests per page, one at a time, in ${ROUNDS} alternating rounds; ` +
      `load average ${load1.toFixed(1)} (1 min), ${load5.toFixed(1)} (5 min), ${cpus().length} cores`,
  );
  const perRequest = (label: string) => {
    const total = totals.get(label)!;
    const sorted = [...total.times].sort((a, b) => a - b);
    return {
      cpu: total.cpuMicros / 1000 / total.times.length,
      statements: total.statements / total.times.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      kb: total.bytes / 1024,
    };
  };
  const baseline = perRequest(pages[0].label);
  for (const { label } of pages) {
    const figures = perRequest(label);
    console.log(
      `  ${label.padEnd(32)} CPU ${figures.cpu.toFixed(2).padStart(6)} ms (${(figures.cpu / baseline.cpu).toFixed(1)}×)  ` +
        `statements ${figures.statements.toFixed(1).padStart(5)} (${(figures.statements / baseline.statements).toFixed(1)}×)  ` +
        `wall p50 ${figures.p50.toFixed(1).padStart(6)} ms  p95 ${figures.p95.toFixed(1).padStart(6)} ms (${(figures.p95 / baseline.p95).toFixed(1)}×)  ` +
        `${figures.kb.toFixed(0)} KB`,
    );
  }
  console.log(`participant page: ${perRequest(pages[2].label).cpu.toFixed(2)} ms CPU per request`);
} finally {
  web.disconnect();
  await new Promise((resolve) => (web.exitCode === null ? web.on('exit', resolve) : resolve(null)));
  if (!keep) await adminQuery(server, `drop database if exists "${name}" with (force)`);
}

/** Signs the bench's partner admin in as a browser would (the sign-in page's CSRF token and cookie, then the form). */
async function signIn(base: string): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
  };
  const header = () => [...jar].map(([key, value]) => `${key}=${value}`).join('; ');
  const page = await fetch(`${base}/login`, { redirect: 'manual' });
  remember(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on the sign-in page');
  const signedIn = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, loginId: 'bench-partner', password: PASSWORD }).toString(),
  });
  await signedIn.text();
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  remember(signedIn);
  return header();
}
