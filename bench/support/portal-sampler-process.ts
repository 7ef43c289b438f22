import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

// A partner admin's browser in a process of its own (it is another host): the `sync-freshness` benchmark's portal
// sampler must not read a 130 KB page in the event loop that serves it. Reads its settings as one JSON line on stdin
// (PortalSamplerSettings), prints "ready", then on `start` requests the paths in turn, one at a time, and on `stop`
// finishes the request under way and prints the times by label (ms) and the answers other than 200 by label as one
// JSON object (PortalSamples). It ends when stdin closes.

/** What the process is told on its first line. */
export interface PortalSamplerSettings {
  platformUrl: string;
  /** The signed-in admin's `Cookie` header. */
  cookie: string;
  /** Label and the paths it picks from at random, e.g. every backfilled participant's page. */
  pages: { label: string; paths: string[] }[];
}

/** What the process prints on `stop`. */
export interface PortalSamples {
  times: Record<string, number[]>;
  /** Per label, the answers that were not a 200 (e.g. a 503 from /health/ready when its database check timed out). */
  failed: Record<string, number[]>;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const settings = JSON.parse((await lines.next()).value as string) as PortalSamplerSettings;
console.log('ready');

let running: { done: boolean; loop: Promise<PortalSamples> } | null = null;
for (let line = await lines.next(); !line.done; line = await lines.next()) {
  if (line.value === 'start' && !running) {
    const run = { done: false, loop: Promise.resolve<PortalSamples>({ times: {}, failed: {} }) };
    run.loop = sample(run);
    running = run;
  } else if (line.value === 'stop' && running) {
    running.done = true;
    console.log(JSON.stringify(await running.loop));
    running = null;
  }
}

async function sample(run: { done: boolean }): Promise<PortalSamples> {
  const times: Record<string, number[]> = Object.fromEntries(settings.pages.map((page) => [page.label, []]));
  const failed: Record<string, number[]> = Object.fromEntries(settings.pages.map((page) => [page.label, []]));
  while (!run.done) {
    for (const { label, paths } of settings.pages) {
      const path = paths[Math.floor(Math.random() * paths.length)];
      const begun = performance.now();
      const response = await fetch(`${settings.platformUrl}${path}`, { headers: { cookie: settings.cookie }, redirect: 'manual' });
      await response.arrayBuffer();
      // A page that is not there (a redirect to sign-in, a 404) is the bench's mistake; a slow dependency's 503 is a figure.
      if (response.status !== 200 && response.status !== 503) throw new Error(`${label} (${path}) answered ${response.status}`);
      if (response.status === 200) times[label].push(performance.now() - begun);
      else failed[label].push(response.status);
    }
  }
  return { times, failed };
}
