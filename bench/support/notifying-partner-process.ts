import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

// The people who take readings and the partner system that waits for them, in a process of their own (they are
// other hosts): the `sync-freshness` benchmark's notifications and API clients must not share the platform's event
// loop. Reads its settings as one JSON line on stdin (FreshnessPartnerSettings), prints "ready", then on `start`
// has the users take a reading in turn, `perSecond` a second (uploaded through the sandbox's admin API, so OMRON
// notifies), and follows each through the platform's REST API until it is there; on `stop` it stops taking readings,
// waits for the ones under way, and prints their times (upload → returned by the API, ms) as one JSON array.
// It ends when stdin closes.

/** What the process is told on its first line. */
export interface FreshnessPartnerSettings {
  sandboxUrl: string;
  platformUrl: string;
  /** An API client with `measurements:read`: the process gets its own tokens, and a new one when one expires. */
  clientId: string;
  clientSecret: string;
  perSecond: number;
  users: { sandboxUserId: string; ogscId: string }[];
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const settings = JSON.parse((await lines.next()).value as string) as FreshnessPartnerSettings;
let token = accessToken();
await token;
console.log('ready');

let running: { done: boolean; loop: Promise<void>; pending: Promise<void>[]; latencies: number[] } | null = null;
for (let line = await lines.next(); !line.done; line = await lines.next()) {
  if (line.value === 'start' && !running) {
    const run = { done: false, loop: Promise.resolve(), pending: [] as Promise<void>[], latencies: [] as number[] };
    run.loop = notify(run);
    running = run;
  } else if (line.value === 'stop' && running) {
    running.done = true;
    await running.loop;
    await Promise.all(running.pending);
    console.log(JSON.stringify(running.latencies));
    running = null;
  }
}

/** A reading at a steady pace, each followed until the API returns it. */
async function notify(run: { done: boolean; pending: Promise<void>[]; latencies: number[] }): Promise<void> {
  const started = performance.now();
  for (let index = 0; !run.done; index++) {
    await sleep(started + (index * 1000) / settings.perSecond - performance.now());
    if (run.done) break;
    run.pending.push(takeAndFollow(settings.users[index % settings.users.length], run.latencies));
  }
}

/** One reading taken now by `user`: uploaded to the sandbox (which notifies), then polled for through the API. */
async function takeAndFollow(user: { sandboxUserId: string; ogscId: string }, into: number[]): Promise<void> {
  const taken = new Date();
  const from = new Date(taken.getTime() - 2000);
  const begun = performance.now();
  const response = await fetch(`${settings.sandboxUrl}/admin/users/${user.sandboxUserId}/readings/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'bloodpressure',
      from: from.toISOString(),
      to: taken.toISOString(),
      count: 1,
      seed: Math.floor(Math.random() * 1e9),
    }),
  });
  if (!response.ok) throw new Error(`reading refused: ${response.status} ${await response.text()}`);
  const url = `${settings.platformUrl}/api/v1/participants/${user.ogscId}/measurements/blood_pressure?from=${encodeURIComponent(from.toISOString())}&limit=1`;
  for (;;) {
    const used = token;
    const answer = await fetch(url, { headers: { Authorization: `Bearer ${await used}` } });
    if (answer.status === 401) {
      // Expired (a long run outlasts a token): one new token for every request that finds out.
      await answer.arrayBuffer();
      if (token === used) token = accessToken();
      continue;
    }
    if (!answer.ok) throw new Error(`API answered ${answer.status}: ${await answer.text()}`);
    if (((await answer.json()) as { data: unknown[] }).data.length > 0) break;
    await sleep(50);
  }
  into.push(performance.now() - begun);
}

/** A client-credentials access token from the platform's token endpoint. */
async function accessToken(): Promise<string> {
  const response = await fetch(`${settings.platformUrl}/api/v1/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (!response.ok) throw new Error(`token refused: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
