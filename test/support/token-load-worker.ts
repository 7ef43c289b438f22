import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { loadDspConfig } from '@opendsp/config';
import { OmronTokens } from '@opendsp/tokens';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';

// A second platform process for concurrency tests. Reads its environment, boots the platform, prints
// "ready", waits for "go" on stdin, asks for the connection's access token REQUESTS times at once and
// prints a JSON summary: the distinct tokens it got and the errors.
const config = loadDspConfig(process.env);
const app = await createDspApp(config, { shutdownHooks: false });
await app.init();
const tokens = app.get(OmronTokens);
const connectionId = process.argv[2];
const requests = Number(process.argv[3]);
console.log('ready');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const results = await Promise.allSettled(Array.from({ length: requests }, () => tokens.accessToken(connectionId)));
  const ok = results.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled').map((r) => r.value);
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason?.name ?? r.reason));
  console.log(JSON.stringify({ tokens: [...new Set(ok)], fulfilled: ok.length, errors }));
  break;
}
lines.close();
await app.close();
