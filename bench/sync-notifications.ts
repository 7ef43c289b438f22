// How fast the Notification URI receiver answers OMRON: `npm run bench -- sync-notifications [requests]`.
// A web-only platform on a scratch database of the machine's PostgreSQL (DATABASE_URL's server, default
// postgres://postgres@127.0.0.1:5432) takes `requests` notifications (default 30,000; a third of them
// repeats, half as JSON and half as a form), 50 in flight, and prints p50/p95/p99 of the answer time next
// to GET /health/ready (one database round trip) sent the same way in the same run.
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import { Participant } from '@opendsp/participants';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase } from '../test/support/test-database.js';
import { testDspEnv } from '../test/support/test-environment.js';

const REQUESTS = Number(process.argv[2] ?? 30_000);
const IN_FLIGHT = 50;
const USERS = 10;
const TYPES = ['bloodpressure', 'weight', 'activity', 'temperature', 'oxygen', 'ecg'];

process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const database = await createTestDatabase();
const app = await createDspApp(
  loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web', NOTIFICATION_RATE_LIMIT_PER_MINUTE: '1000000' })),
  { shutdownHooks: false },
);
await app.init();
const server = app.getHttpServer() as Server;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const em = app.get(MikroORM).em.fork();
const users = Array.from({ length: USERS }, (_, index) =>
  Object.assign(new Participant('omron_connect'), { omronUserId: `bench-notification-user-${index}` }),
);
em.persist(users);
await em.flush();

/** Sends `count` requests made by `make`, IN_FLIGHT at a time; returns each answer's time in ms, sorted. */
async function latencies(count: number, make: (index: number) => [string, RequestInit]): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let index = next++; index < count; index = next++) {
        const [url, init] = make(index);
        const started = performance.now();
        const response = await fetch(url, init);
        await response.arrayBuffer();
        if (response.status >= 300) throw new Error(`${url} answered ${response.status}`);
        times.push(performance.now() - started);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

const notification = (index: number): [string, RequestInit] => {
  const distinct = index % Math.ceil((REQUESTS * 2) / 3);
  const body = {
    id: users[distinct % USERS].omronUserId!,
    type: TYPES[Math.floor(distinct / USERS) % TYPES.length],
    timestamp: String(1_780_000_000_000 + Math.floor(distinct / (USERS * TYPES.length))),
  };
  return index % 2 === 0
    ? [`${base}/omron/notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }]
    : [`${base}/omron/notifications`, { method: 'POST', body: new URLSearchParams(body) }];
};

// Warm both paths (JIT, pools), then measure the baseline and the receiver in turn.
await latencies(500, () => [`${base}/health/ready`, {}]);
await latencies(500, (index) => notification(REQUESTS + index));
const baseline = await latencies(REQUESTS, () => [`${base}/health/ready`, {}]);
const receiver = await latencies(REQUESTS, notification);

const at = (times: number[], share: number) => times[Math.min(times.length - 1, Math.floor(times.length * share))];
const row = (label: string, times: number[]) =>
  `${label.padEnd(28)} p50 ${at(times, 0.5).toFixed(1).padStart(7)} ms   p95 ${at(times, 0.95).toFixed(1).padStart(7)} ms   p99 ${at(times, 0.99).toFixed(1).padStart(7)} ms`;
console.log(`${REQUESTS.toLocaleString('en-US')} requests each, ${IN_FLIGHT} in flight`);
console.log(row('GET /health/ready (baseline)', baseline));
console.log(row('POST /omron/notifications', receiver));
console.log(`ratio: ${(at(receiver, 0.99) / at(baseline, 0.99)).toFixed(2)}× the baseline's p99`);

await app.close();
await database.drop();
