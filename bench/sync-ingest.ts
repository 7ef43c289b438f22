import 'reflect-metadata';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { PAGINATION_KEYS, type MeasurementType } from '@opendsp/omron-api';
import { SyncScheduling } from '@opendsp/sync';
import { MeasurementApiService } from '../apps/omron-sandbox/src/measurements/measurement-api.service.js';
import { ALL_SCOPES, startSyncStack } from '../test/support/sync-stack.js';
import { CLIENT_ID } from '../test/support/token-stack.js';
import type { ReplayReply, ReplayRequest } from './support/replay-upstream.js';
import { printComparison, timed } from './support/report.js';

// `npm run bench -- sync-ingest [readings]` (default 100,000), on the PostgreSQL in DATABASE_URL.
//
// The platform's own share of a backfill, with the upstream's cost taken out: the sandbox renders every
// measurement page once, before timing starts, and a local HTTP server replays those answers (spec-shaped JSON,
// as the sandbox sends them) byte for byte to the platform's measurement requests, at no cost. Everything else
// under OMRON_OAUTH_API_URL (the token exchange) is passed through to the sandbox. That server stands for OMRON, whose
// work is not the platform's, so it runs in a child process of its own (`support/replay-upstream.ts`): in this
// process it would compete with the platform for one event loop. Timed: from the backfill
// request until every reading is stored (jobs, the upstream gate, HTTP, parsing, normalising, writing, cursor).
// The baseline, in the same run on the same database, is a COPY of the same rows into the same tables (their
// indexes, constraints and foreign keys included), as another participant's: the fastest any loader could write them.

const total = Number(process.argv[2] ?? 100_000);
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(2);
}
const SHARES: [type: MeasurementType, kind: MeasurementKind, share: number][] = [
  ['bloodpressure', 'blood_pressure', 0.6],
  ['weight', 'weight', 0.2],
  ['oxygen', 'oxygen', 0.18],
  ['activity', 'activity', 0.02],
];
const PAGE_SIZE = 1000;

/** Pre-rendered answers, by `type:paginationKey` ('' for the first page). */
const pages = new Map<string, string>();

// The upstream replays from a process of its own, so its work never shares the platform's event loop.
const upstream = fork(join(import.meta.dirname, 'support/replay-upstream.js'), [], { stdio: 'inherit' });
const replies: ((reply: ReplayReply) => void)[] = [];
const listening = new Promise<number>((resolve, reject) => {
  upstream.once('error', reject);
  upstream.once('message', (reply: ReplayReply) => resolve((reply as { port: number }).port));
});
const replayUrl = `http://127.0.0.1:${await listening}`;
upstream.on('message', (reply: ReplayReply) => replies.shift()?.(reply));
const ask = <R extends ReplayReply>(request: ReplayRequest): Promise<R> =>
  new Promise<R>((resolve) => {
    replies.push(resolve as (reply: ReplayReply) => void);
    upstream.send(request);
  });

const stack = await startSyncStack(
  { LOG_LEVEL: 'silent' },
  { SYNC_PAGE_SIZE: String(PAGE_SIZE), LOG_LEVEL: 'silent', OMRON_OAUTH_API_URL: `${replayUrl}/stg` },
);
try {
  await ask({ sandboxUrl: stack.sandbox.baseUrl });
  // Readings go in before the participant authorises the platform, so no notification starts a pull early.
  const email = 'bench@sandbox.test';
  const sandboxUser = await stack.sandbox.user(email);
  let expected = 0;
  for (const [type, , share] of SHARES) {
    const response = await stack.sandboxAdmin('POST', `/admin/users/${sandboxUser.id}/readings/generate`, {
      type,
      from: '2019-01-01',
      to: '2026-06-30',
      count: Math.max(1, Math.round(total * share)),
      seed: 3,
    });
    if (!response.ok) throw new Error(`loading ${type} failed: ${response.status} ${await response.text()}`);
    expected += ((await response.json()) as { inserted: number }).inserted;
  }
  const user = await stack.enroll(email);

  // Render every page the backfill will ask for, as the sandbox answers them.
  const api = stack.sandbox.app.get(MeasurementApiService);
  const access = { userId: user.sandboxUserId, sub: user.omronUserId, clientId: CLIENT_ID, scopes: ALL_SCOPES.split(' ') };
  for (const [type] of SHARES) {
    let key: number | null = null;
    do {
      const answer = await api.measurements(access, {
        since: null,
        limit: PAGE_SIZE,
        type,
        includeHourlyActivity: true,
        sortOrder: 'asc',
        after: key === null ? {} : { [type]: key },
      });
      pages.set(`${type}:${key ?? ''}`, JSON.stringify(answer));
      key = answer.result.paginationKey[PAGINATION_KEYS[type]] ?? null;
    } while (key !== null);
  }
  await ask({ pages: [...pages] });

  // Done when every kind's pull has finished: a cheap look at the ledger, where counting the rows so far would
  // load the database the sync is writing to.
  const finished = async (): Promise<boolean> => {
    const [row] = await stack.sql<{ done: number }>(
      `select count(*)::int as done from sync_ledger where participant_id = $1 and last_pull_succeeded_at is not null`,
      [user.participantId],
    );
    return row.done === SHARES.length;
  };
  const stored = async (): Promise<number> => {
    const [row] = await stack.sql<{ count: string }>(
      `select (${SHARES.map(([, kind]) => `(select count(*) from ${MEASUREMENT_KINDS[kind].table} where participant_id = $1)`).join(' + ')}) as count`,
      [user.participantId],
    );
    return Number(row.count);
  };
  const sync = await timed(async () => {
    await stack.platform.get(SyncScheduling).requestBackfill(user.participantId);
    while (!(await finished())) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  const count = await stored();
  if (count !== expected) throw new Error(`the sync stored ${count} readings, expected ${expected}`);
  const { replayed } = await ask<{ replayed: number }>({ count: true });
  if (replayed < pages.size) throw new Error(`only ${replayed} of ${pages.size} pages were asked for`);

  const copy = await copyIntoTheSameTables(stack.database.settings.url, user.participantId, await stack.enroll('baseline@sandbox.test'));
  if (copy.rows !== expected) throw new Error(`COPY stored ${copy.rows} rows, expected ${expected}`);

  console.log(
    `sync ingest of ${expected.toLocaleString('en-US')} readings (4 kinds, ${pages.size} pre-rendered pages of ${PAGE_SIZE.toLocaleString('en-US')} replayed at no cost)`,
  );
  printComparison(
    'readings',
    { label: 'sync ingest (request → every reading stored)', count: expected, seconds: sync.seconds },
    { label: 'PostgreSQL COPY of the same rows', count: copy.rows, seconds: copy.seconds },
  );
} finally {
  await stack.close();
  upstream.disconnect();
}

/**
 * COPYs the rows the sync stored for one participant into the same tables as another's (new IDs and change sequence
 * numbers, drawn before timing); only the COPY into the tables is timed.
 */
async function copyIntoTheSameTables(
  url: string,
  participantId: string,
  other: { participantId: string },
): Promise<{ seconds: number; rows: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let seconds = 0;
  let rows = 0;
  try {
    for (const [, kind] of SHARES) {
      const table = MEASUREMENT_KINDS[kind].table;
      const columns = (
        await client.query<{ name: string }>(
          `select column_name as name from information_schema.columns where table_name = $1 and column_name not in ('id', 'participant_id', 'change_seq') order by ordinal_position`,
          [table],
        )
      ).rows.map((row) => `"${row.name}"`);
      const chunks: Buffer[] = [];
      const out = `copy (select '${other.participantId}'::uuid, nextval('measurement_change_seq'), ${columns.join(', ')} from "${table}" where participant_id = '${participantId}') to stdout`;
      for await (const chunk of client.query(copyTo(out))) chunks.push(chunk as Buffer);
      const copy = await timed(() =>
        pipeline(
          Readable.from(chunks),
          client.query(copyFrom(`copy "${table}" ("participant_id", "change_seq", ${columns.join(', ')}) from stdin`)),
        ),
      );
      seconds += copy.seconds;
      rows += Number(
        (await client.query(`select count(*) from "${table}" where participant_id = $1`, [other.participantId])).rows[0].count,
      );
    }
  } finally {
    await client.end();
  }
  return { seconds, rows };
}
