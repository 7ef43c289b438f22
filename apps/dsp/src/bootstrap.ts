import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { DspConfig } from '@opendsp/config';
import { configureViews } from '@opendsp/views';
import { DspModule } from './dsp.module.js';

export interface AppOptions {
  /** Close the app on SIGTERM/SIGINT (default). The local launcher handles signals itself. */
  shutdownHooks?: boolean;
}

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Builds the platform app for the configured process role, without listening. */
export async function createDspApp(config: DspConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(DspModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  await configureViews(app, { views: here('./views'), partials: here('./views/partials'), public: here('./public') });
  return app;
}

/** Builds the platform app and listens on the configured host and port. */
export async function startDsp(config: DspConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await createDspApp(config, options);
  await app.listen(config.http.port, config.http.host);
  return app;
}
