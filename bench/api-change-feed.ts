// Change-feed throughput: readings per second streamed page by page through the real API (token, rate
// limit, validation, visibility rules, JSON), next to a bare Node HTTP server that runs the same SQL
// (changeFeedSql) on a plain pg pool and returns the same rows. Both are measured in the same run, on the
// same database, with the same client loop.
//
//   npm run bench -- api-change-feed [readings=60000] [pageSize=1000]
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { ApiClient, formatScopes, hashCredential, newClientSecret } from '@opendsp/api';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import { changeFeedSql, lockChangeSequence, NEXT_CHANGE_SEQ } from '@opendsp/measurements';
import { Enrollment, Participant } from '@opendsp/participants';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase, freePort } from '../test/support/test-database.js';
import { testDspEnv } from '../test/support/test-environment.js';
import { printComparison, timed, type Figure } from './support/report.js';

const READINGS = Number(process.argv[2] ?? 60_000);
const PAGE_SIZE = Number(process.argv[3] ?? 1000);
const PARTICIPANTS = 200;

/** Pages through a change feed from 0 until `hasMore` is false; returns the number of readings received. */
async function stream(url: (since: number) => string, headers: Record<string, string>): Promise<number> {
  let since = 0;
  let received = 0;
  for (;;) {
    const response = await fetch(url(since), { headers });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    const page = (await response.json()) as { data: unknown[]; nextSince: number; hasMore: boolean };
    received += page.data.length;
    since = page.nextSince;
    if (!page.hasMore) return received;
  }
}

/** The same query the API runs, with MikroORM's `?` placeholders turned into node-postgres's `$n`. */
function bareServer(pool: pg.Pool): Server {
  return createServer(async (req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const since = Number(query.get('since') ?? 0);
    const limit = Number(query.get('limit') ?? 1000);
    const feed = changeFeedSql({ since, limit, kinds: [], readable: () => ({ sql: 'true', params: [] }) });
    let n = 0;
    const { rows } = await pool.query<{ change_seq: string; reading: unknown }>(
      feed.sql.replace(/\?/g, () => `$${++n}`),
      feed.params,
    );
    const last = rows.at(-1);
    res.setHeader('Content-Type', 'application/json');
    res.end(
      JSON.stringify({
        data: rows.map((row) => row.reading),
        nextSince: last ? Number(last.change_seq) : since,
        hasMore: rows.length === limit,
      }),
    );
  });
}

const database = await createTestDatabase();
try {
  const orm = await MikroORM.init(dspOrmConfig({ ...database.settings, poolMax: 4 }));
  const em = orm.em.fork();
  const group = new ProgramGroup('Bench group');
  const participants = Array.from({ length: PARTICIPANTS }, () => new Participant('omron_connect'));
  em.persist([group, ...participants]);
  for (const participant of participants) {
    const enrollment = new Enrollment(participant, group, 'consented');
    enrollment.consentedAt = new Date();
    em.persist(enrollment);
  }
  const secret = newClientSecret();
  const client = new ApiClient({
    name: 'Bench',
    scopes: formatScopes(['measurements:read']),
    allGroups: true,
    secretHash: hashCredential(secret),
  });
  em.persist(client);
  await em.flush();

  // Readings written the way writers must: under the change-sequence lock, one transaction per kind.
  const ids = participants.map((participant) => `'${participant.id}'`).join(',');
  const share = { blood_pressure: 0.5, weight: 0.3, activity: 0.2 };
  await orm.em.fork().transactional(async (tx) => {
    await lockChangeSequence(tx);
    const run = (sql: string) => tx.getConnection().execute(sql, [], 'run', tx.getTransactionContext());
    const source = (count: number) =>
      `from generate_series(1, ${count}) i cross join lateral (select (array[${ids}])[1 + i % ${PARTICIPANTS}]::uuid as participant_id) p`;
    await run(`insert into blood_pressure_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
      systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib)
      select participant_id, i, now() - i * interval '1 minute', '2026-11-01T09:00:00', 32400, 'OMRON HEM-7600T', ${NEXT_CHANGE_SEQ}, 120, 80, 70, false
      ${source(Math.round(READINGS * share.blood_pressure))}`);
    await run(`insert into weight_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
      weight_kg, weight_original, weight_unit, bmi)
      select participant_id, i, now() - i * interval '1 minute', '2026-11-01T09:00:00', 32400, 'OMRON HBF-702T', ${NEXT_CHANGE_SEQ}, 70.1, 70.1, 'kg', 22.4
      ${source(Math.round(READINGS * share.weight))}`);
    await run(`insert into activity_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
      steps, aerobic_steps, calories_kcal, distance_km, distance_original, distance_unit)
      select participant_id, i, now() - i * interval '1 day', '2026-11-01T00:00:00', 32400, 'OMRON HJA-405T', ${NEXT_CHANGE_SEQ}, 8000, 2000, 300, 5.2, 5.2, 'km'
      ${source(READINGS - Math.round(READINGS * share.blood_pressure) - Math.round(READINGS * share.weight))}`);
  });
  await orm.close(true);

  const port = await freePort();
  const app = await createDspApp(
    loadDspConfig(
      testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web', PORT: String(port), API_RATE_LIMIT_PER_MINUTE: '1000000' }),
    ),
    { shutdownHooks: false },
  );
  await app.listen(port, '127.0.0.1');
  const pool = new pg.Pool({ connectionString: database.settings.url, max: 4 });
  const bare = bareServer(pool);
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const barePort = (bare.address() as AddressInfo).port;
  try {
    const tokenResponse = await fetch(`http://127.0.0.1:${port}/api/v1/oauth/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const viaApi = () =>
      stream((since) => `http://127.0.0.1:${port}/api/v1/changes?since=${since}&limit=${PAGE_SIZE}`, { Authorization: `Bearer ${token}` });
    const viaBare = () => stream((since) => `http://127.0.0.1:${barePort}/changes?since=${since}&limit=${PAGE_SIZE}`, {});

    // One warm-up pass of each (JIT, plan cache, buffer cache), then alternate and keep each side's best.
    await viaApi();
    await viaBare();
    let api: Figure = { label: 'REST API /api/v1/changes', count: 0, seconds: Infinity };
    let baseline: Figure = { label: 'bare Node http + pg, same SQL', count: 0, seconds: Infinity };
    for (let round = 0; round < 3; round++) {
      const a = await timed(viaApi);
      if (a.seconds < api.seconds) api = { ...api, count: a.result, seconds: a.seconds };
      const b = await timed(viaBare);
      if (b.seconds < baseline.seconds) baseline = { ...baseline, count: b.result, seconds: b.seconds };
    }
    if (api.count !== READINGS || baseline.count !== READINGS)
      throw new Error(`streamed ${api.count} and ${baseline.count} readings, expected ${READINGS}`);
    console.log(
      `change feed, ${READINGS.toLocaleString('en-US')} readings of ${PARTICIPANTS} participants, pages of ${PAGE_SIZE}, best of 3:`,
    );
    printComparison('readings', api, baseline);
  } finally {
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    await pool.end();
    await app.close();
  }
} finally {
  await database.drop();
}
