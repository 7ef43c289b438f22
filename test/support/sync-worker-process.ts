import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { loadDspConfig } from '@opendsp/config';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';

// A second platform process for sync tests, normally with PROCESS_ROLE=worker: boots from its environment,
// prints "ready" and runs until its stdin closes (then shuts down gracefully) or it is killed.
const app = await createDspApp(loadDspConfig(process.env), { shutdownHooks: false });
await app.init();
console.log('ready');
for await (const _line of createInterface({ input: process.stdin })) {
  // Lines are ignored; only the end of input matters.
}
await app.close();
