// `npm run bench -- sandbox-bulk-load [count]` (default 1,000,000): loads `count` generated blood-pressure
// readings into a sandbox through its JSON admin API, on a scratch database of the machine's PostgreSQL
// (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), and compares the rate with a
// bare COPY of the same rows, already rendered as COPY text, into a table shaped like the readings table.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { migrateSandboxDatabase } from '../apps/omron-sandbox/src/database/sandbox-orm.config.js';
import { streamReadings } from '../apps/omron-sandbox/src/measurements/index.js';
import { adminQuery, databaseUrl } from '../test/support/test-database.js';
import { startSandboxHarness, type Json } from '../test/support/sandbox-harness.js';
import { printComparison, timed } from './support/report.js';

const count = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive whole number, not ${process.argv[2]}`);
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The generator takes up to a million readings per call; larger counts load in consecutive ranges. */
const PER_CALL = 1_000_000;
const START = Date.parse('2012-01-01T00:00:00Z');
const SECONDS_PER_READING = 60;
const calls = Array.from({ length: Math.ceil(count / PER_CALL) }, (_, index) => {
  const callCount = Math.min(PER_CALL, count - index * PER_CALL);
  const from = START + index * PER_CALL * SECONDS_PER_READING * 1000;
  return { count: callCount, from: new Date(from), to: new Date(from + callCount * SECONDS_PER_READING * 1000), seed: 1000 + index };
});

/** Asks for a checkpoint so one measurement does not pay for the other's WAL; needs a privileged role. */
async function checkpoint(url: string): Promise<void> {
  await adminQuery(url, 'checkpoint').catch(() => undefined);
}

const name = `opendsp_bench_${randomBytes(6).toString('hex')}`;
await adminQuery(server, `create database "${name}"`);
const settings = { url: databaseUrl(server, name), poolMax: 5 };
try {
  await migrateSandboxDatabase(settings);
  const sandbox = await startSandboxHarness({}, { settings, drop: async () => undefined });
  try {
    const post = async (path: string, body: unknown): Promise<Json> => {
      const response = await fetch(`${sandbox.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 201) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
      return response.json();
    };
    const user = await post('/admin/users', { email: 'bench@sandbox.test', password: 'password-123' });

    await checkpoint(settings.url);
    const rssBefore = process.memoryUsage().rss;
    const api = await timed(async () => {
      let inserted = 0;
      for (const call of calls) {
        const result = await post(`/admin/users/${user.id}/readings/generate`, {
          type: 'bloodpressure',
          from: call.from.toISOString(),
          to: call.to.toISOString(),
          count: call.count,
          seed: call.seed,
        });
        inserted += result.inserted;
      }
      return inserted;
    });
    if (api.result !== count) throw new Error(`the API stored ${api.result} readings, not ${count}`);
    // The readings stream from the generator into COPY, so the process should not grow with the count.
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;

    // The baseline: the same rows in the same columns, rendered before the clock starts, so it times
    // PostgreSQL alone. The table has the readings table's columns, defaults and indexes.
    const uploadedAt = new Date().toISOString();
    const chunks: string[] = [];
    let chunk = '';
    for (const call of calls) {
      for (const reading of streamReadings({ type: 'bloodpressure', ...call })) {
        chunk += `${user.id}\tbloodpressure\t${reading.measuredAt.toISOString()}\t0\t${reading.deviceType}\t${JSON.stringify(reading.values)}\tgenerated\t${uploadedAt}\n`;
        if (chunk.length >= 256 * 1024) {
          chunks.push(chunk);
          chunk = '';
        }
      }
    }
    chunks.push(chunk);
    const client = new pg.Client({ connectionString: settings.url });
    await client.connect();
    try {
      await client.query(`create table "bench_copy_baseline" (like "omron_sandbox"."measurement" including defaults including indexes)`);
      await checkpoint(settings.url);
      const copy = await timed(async () => {
        await client.query('begin');
        const stream = client.query(
          copyStreams.from(
            `copy "bench_copy_baseline" ("user_id", "type", "measured_at", "utc_offset_seconds", "device_type", "values", "source", "uploaded_at") from stdin`,
          ),
        );
        await pipeline(Readable.from(chunks), stream);
        await client.query('commit');
        return stream.rowCount;
      });
      if (copy.result !== count) throw new Error(`COPY stored ${copy.result} rows, not ${count}`);
      printComparison(
        'readings',
        { label: 'sandbox admin API (POST …/readings/generate)', count, seconds: api.seconds },
        { label: 'bare COPY of the same rows', count, seconds: copy.seconds },
      );
      console.log(`peak memory growth of the process during the API load: ${Math.max(0, Math.round(peakGrowth / 2 ** 20))} MiB`);
    } finally {
      await client.end();
    }
  } finally {
    await sandbox.stop();
  }
} finally {
  await adminQuery(server, `drop database if exists "${name}" with (force)`);
}
