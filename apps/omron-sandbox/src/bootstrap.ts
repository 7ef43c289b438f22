import type { NestExpressApplication } from '@nestjs/platform-express';
import type { SandboxConfig } from '@opendsp/config';
import { createWebApp, type WebAppOptions } from '@opendsp/views';
import { SandboxModule } from './sandbox.module.js';

/** Builds the sandbox app without listening. */
export function createSandboxApp(config: SandboxConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  return createWebApp(SandboxModule.forRoot(config), import.meta.url, { ...options, cacheViews: config.nodeEnv !== 'development' });
}

/** Builds the sandbox app and listens on the configured host and port. */
export async function startSandbox(config: SandboxConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  const app = await createSandboxApp(config, options);
  await app.listen(config.http.port, config.http.host);
  return app;
}
