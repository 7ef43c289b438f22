import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { loadSandboxConfig } from '@opendsp/config';
import { createSandboxApp } from '../../apps/omron-sandbox/src/bootstrap.js';
import { MeasurementApiService } from '../../apps/omron-sandbox/src/measurements/measurement-api.service.js';

// The OMRON sandbox in a process of its own, as OMRON is another host: a benchmark that times the platform must not
// have the sandbox's page rendering (a 1,000-reading answer is tens of milliseconds of CPU) in the platform's event
// loop. Boots from its environment (SANDBOX_PORT, SANDBOX_PUBLIC_URL, DATABASE_URL…), counts the measurement
// requests it answers per OMRON user, prints "ready", then answers stdin's lines: `requests` prints the counts as one
// JSON line ({ sub: count }) and starts them again from zero. It stops when stdin closes.
const config = loadSandboxConfig(process.env);
const app = await createSandboxApp(config, { shutdownHooks: false });
const requests = new Map<string, number>();
const service = app.get(MeasurementApiService);
const measurements = service.measurements.bind(service);
service.measurements = (access, query) => {
  requests.set(access.sub, (requests.get(access.sub) ?? 0) + 1);
  return measurements(access, query);
};
await app.listen(config.http.port, config.http.host);
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'requests') {
    console.log(JSON.stringify(Object.fromEntries(requests)));
    requests.clear();
  }
}
await app.close();
