import type { NestExpressApplication } from '@nestjs/platform-express';
import { setupApiDocs } from '@opendsp/api';
import type { DspConfig } from '@opendsp/config';
import { createWebApp, type WebAppOptions } from '@opendsp/views';
import { applyWebSecurity } from '@opendsp/web-security';
import { DspModule } from './dsp.module.js';
import { PORTAL_VIEW_HELPERS } from './portal-views.js';

/** Builds the platform app for the configured process role, without listening. */
export async function createDspApp(config: DspConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  const app = await createWebApp(DspModule.forRoot(config), import.meta.url, { ...options, helpers: PORTAL_VIEW_HELPERS });
  applyWebSecurity(app, config);
  if (config.processRole !== 'worker') setupApiDocs(app);
  return app;
}

/** Builds the platform app and listens on the configured host and port. */
export async function startDsp(config: DspConfig, options: WebAppOptions = {}): Promise<NestExpressApplication> {
  const app = await createDspApp(config, options);
  await app.listen(config.http.port, config.http.host);
  return app;
}
