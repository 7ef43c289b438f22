import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { setupApiDocs } from '@opendsp/api';
import type { DspConfig } from '@opendsp/config';
import { explainDatabaseError } from '@opendsp/database';
import { NOTIFICATION_PATH, notificationBodyReader } from '@opendsp/sync';
import { createWebApp, type WebAppOptions } from '@opendsp/views';
import { applyWebSecurity } from '@opendsp/web-security';
import { DspModule } from './dsp.module.js';
import { PORTAL_VIEW_HELPERS } from './portal-views.js';
import { lowerProcessPriority } from './process-priority.helpers.js';

/** Builds the platform app for the configured process role, without listening. */
export async function createDspApp(config: DspConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  // A worker's work is throughput (sync pages, deliveries); the web role's is latency. Lowered before the app's
  // threads start, so they inherit it. PROCESS_ROLE=all serves pages, so it keeps its priority.
  const priority = config.processRole === 'worker' ? lowerProcessPriority(config.workerNice) : null;
  const app = await createWebApp(DspModule.forRoot(config), import.meta.url, {
    ...options,
    helpers: PORTAL_VIEW_HELPERS,
    cacheViews: config.nodeEnv !== 'development',
  });
  if (priority && 'refused' in priority)
    new Logger('WorkerPriority').warn(`WORKER_NICE=${config.workerNice} not applied: ${priority.refused}`);
  else if (priority) new Logger('WorkerPriority').log(`worker process niceness ${priority.niceness} (WORKER_NICE=${config.workerNice})`);
  applyWebSecurity(app, config);
  if (config.processRole !== 'worker' && config.environment.dataTransferMethods.includes('api')) setupApiDocs(app);
  // Before the general body parsers (registered at init), so OMRON's notifications get their own small limit.
  app.use(NOTIFICATION_PATH, notificationBodyReader(config.notifications.maxBodyBytes));
  return app;
}

/**
 * Builds the platform app and listens on the configured host and port. A database that is missing,
 * unreachable or refuses the credentials stops it with a DatabaseUnavailableError (one sentence naming the
 * database and what to run), whichever module's first query meets it.
 */
export async function startDsp(config: DspConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  const app = await createDspApp(config, options);
  try {
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw explainDatabaseError(error, config.database.url) ?? error;
  }
  return app;
}
