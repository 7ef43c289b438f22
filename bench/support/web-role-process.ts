import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import pg from 'pg';
import { loadDspConfig } from '@opendsp/config';
import { DashboardSnapshots } from '@opendsp/data-views';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';

// The platform's web role in a process of its own, for `portal-request-cost`: what a request costs this process
// (CPU, statements) is then the platform's alone, not the client's. Forked with an IPC channel; boots from its
// environment, listens on a free port of 127.0.0.1 and sends `{ ready: port }`. Then answers each message:
//   'refresh' → refreshes the dashboard snapshots (as the worker's schedule would), then `{ refreshed: true }`;
//   'count'   → `{ cpuMicros, statements }`: this process's user + system CPU and the statements sent to
//               PostgreSQL so far (every `query` of node-postgres's clients: one round trip each).
//   'profile' → with BENCH_CPU_PROFILE=<folder>, starts sampling this process's CPU; the profile is written to that
//               folder (web-role.cpuprofile) when the process ends.
// With BENCH_LOG_STATEMENTS=1 it writes each statement's first 160 characters to stderr.
// It ends when the channel closes.

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  statements++;
  if (process.env.BENCH_LOG_STATEMENTS) {
    const [first] = args as [string | { text: string }];
    process.stderr.write(`statement: ${(typeof first === 'string' ? first : first.text).replace(/\s+/g, ' ').slice(0, 160)}\n`);
  }
  return (query as (...values: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

const app = await createDspApp(loadDspConfig(process.env), { shutdownHooks: false });
await app.listen(0, '127.0.0.1');
const address = app.getHttpServer().address() as { port: number };
const profiler = new Session();
let profiling = false;
process.on('message', (message) => {
  if (message === 'profile' && process.env.BENCH_CPU_PROFILE) {
    profiling = true;
    profiler.connect();
    void profiler
      .post('Profiler.enable')
      .then(() => profiler.post('Profiler.setSamplingInterval', { interval: 200 }))
      .then(() => profiler.post('Profiler.start'));
  } else if (message === 'refresh')
    void app
      .get(DashboardSnapshots)
      .refresh()
      .then(() => process.send!({ refreshed: true }));
  else if (message === 'count') {
    const cpu = process.cpuUsage();
    process.send!({ cpuMicros: cpu.user + cpu.system, statements });
  }
});
process.on('disconnect', () => {
  const written = profiling
    ? profiler
        .post('Profiler.stop')
        .then(({ profile }) => writeFileSync(join(process.env.BENCH_CPU_PROFILE!, 'web-role.cpuprofile'), JSON.stringify(profile)))
    : Promise.resolve();
  void written.then(() => app.close()).then(() => process.exit(0));
});
process.send!({ ready: address.port });
