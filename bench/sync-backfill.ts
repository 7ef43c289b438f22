import 'reflect-metadata';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { SyncScheduling } from '@opendsp/sync';
import { startSyncStack } from '../test/support/sync-stack.js';
import { printComparison, timed } from './support/report.js';

// `npm run bench -- sync-backfill [readings]` (default 100,000), on the PostgreSQL in DATABASE_URL.
//
// Loads readings of four kinds into the sandbox through its bulk JSON admin API, then times a backfill: from
// the request until every reading is stored (OMRON's API answered by the sandbox over HTTP in pages of 1,000,
// normalised, upserted page by page with the cursor). The baseline, measured in the same run on the same
// database, is a PostgreSQL COPY of exactly the rows the sync stored into empty copies of the tables: the
// fastest any loader could write them.

const total = Number(process.argv[2] ?? 100_000);
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(2);
}
const SHARES: [type: string, kind: MeasurementKind, share: number][] = [
  ['bloodpressure', 'blood_pressure', 0.6],
  ['weight', 'weight', 0.2],
  ['oxygen', 'oxygen', 0.18],
  ['activity', 'activity', 0.02],
];

const stack = await startSyncStack({ LOG_LEVEL: 'silent' }, { SYNC_PAGE_SIZE: '1000', LOG_LEVEL: 'silent' });
try {
  // Readings go in before the participant authorises the platform, so no notification starts a pull early.
  const email = 'bench@sandbox.test';
  const sandboxUser = await stack.sandbox.user(email);
  let expected = 0;
  for (const [type, , share] of SHARES) {
    const count = Math.max(1, Math.round(total * share));
    const response = await stack.sandboxAdmin('POST', `/admin/users/${sandboxUser.id}/readings/generate`, {
      type,
      from: '2019-01-01',
      to: '2026-06-30',
      count,
      seed: 3,
    });
    if (!response.ok) throw new Error(`loading ${type} failed: ${response.status} ${await response.text()}`);
    expected += ((await response.json()) as { inserted: number }).inserted;
  }
  const user = await stack.enroll(email);

  const stored = async (): Promise<number> => {
    const [row] = await stack.sql<{ count: string }>(
      `select (${SHARES.map(([, kind]) => `(select count(*) from ${MEASUREMENT_KINDS[kind].table} where participant_id = $1)`).join(' + ')}) as count`,
      [user.participantId],
    );
    return Number(row.count);
  };
  const sync = await timed(async () => {
    await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
    while ((await stored()) < expected) await new Promise((resolve) => setTimeout(resolve, 20));
  });

  // The baseline: COPY the very rows the sync stored into empty tables of the same shape.
  const client = new pg.Client({ connectionString: stack.database.settings.url });
  await client.connect();
  let copySeconds = 0;
  let copied = 0;
  try {
    for (const [, kind] of SHARES) {
      const table = MEASUREMENT_KINDS[kind].table;
      await client.query(`create table "bench_${table}" (like "${table}" including defaults)`);
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(
        copyTo(`copy (select * from "${table}" where participant_id = '${user.participantId}') to stdout`),
      )) {
        chunks.push(chunk as Buffer);
      }
      const copy = await timed(() => pipeline(Readable.from(chunks), client.query(copyFrom(`copy "bench_${table}" from stdin`))));
      copySeconds += copy.seconds;
      copied += Number((await client.query(`select count(*) from "bench_${table}"`)).rows[0].count);
    }
  } finally {
    await client.end();
  }
  if (copied !== expected) throw new Error(`COPY stored ${copied} rows, expected ${expected}`);

  console.log(`sync backfill of ${expected.toLocaleString('en-US')} readings (4 kinds, pages of 1,000, over HTTP from the sandbox)`);
  printComparison(
    'readings',
    { label: 'sync backfill (request → every reading stored)', count: expected, seconds: sync.seconds },
    { label: 'PostgreSQL COPY of the same rows', count: copied, seconds: copySeconds },
  );
} finally {
  await stack.close();
}
