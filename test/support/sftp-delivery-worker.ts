import 'reflect-metadata';
import { loadDspConfig } from '@opendsp/config';
import { SftpDeliveryService } from '@opendsp/exports';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';

// A second platform process for delivery tests: boots the platform from its environment, delivers to the
// destination named by the first argument and prints the outcome as JSON (unless it is killed first).
const app = await createDspApp(loadDspConfig(process.env), { shutdownHooks: false });
await app.init();
console.log(JSON.stringify(await app.get(SftpDeliveryService).deliver(process.argv[2])));
await app.close();
