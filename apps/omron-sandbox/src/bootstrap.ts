import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { SandboxConfig } from '@opendsp/config';
import { configureViews } from '@opendsp/views';
import { SandboxModule } from './sandbox.module.js';

export interface AppOptions {
  /** Close the app on SIGTERM/SIGINT (default). The local launcher handles signals itself. */
  shutdownHooks?: boolean;
}

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Builds the sandbox app without listening. */
export async function createSandboxApp(config: SandboxConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(SandboxModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  await configureViews(app, { views: here('./views'), partials: here('./views/partials'), public: here('./public') });
  return app;
}

export async function startSandbox(config: SandboxConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  const app = await createSandboxApp(config, options);
  await app.listen(config.http.port, config.http.host);
  return app;
}
