import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DspConfig } from '@opendsp/config';
import { createWebApp, type WebAppOptions } from '@opendsp/views';
import { DspModule } from './dsp.module.js';

/** Builds the platform app for the configured process role, without listening. */
export function createDspApp(config: DspConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  return createWebApp(DspModule.forRoot(config), import.meta.url, options);
}

/** Builds the platform app and listens on the configured host and port. */
export async function startDsp(config: DspConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  const app = await createDspApp(config, options);
  await app.listen(config.http.port, config.http.host);
  return app;
}
