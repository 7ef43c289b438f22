import { fileURLToPath } from 'node:url';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { configureViews, type ViewHelpers } from './configure-views.helpers.js';
import { declaredViewsFolders } from './views-folder.decorator.js';

export interface WebAppOptions {
  /** Close the app on SIGTERM/SIGINT (default). The local launcher handles signals itself. */
  shutdownHooks?: boolean;
  /** The app's own Handlebars helpers, besides `upper`. */
  helpers?: ViewHelpers;
}

/**
 * Builds a Nest app the way both OpenDSP apps run: pino logging, no `x-powered-by`, and Handlebars views,
 * partials and static files from the `views/` and `public/` folders beside `appFileUrl` (the caller's
 * `import.meta.url`), plus the `views/` folders its modules declare with `@ViewsFolder`.
 */
export async function createWebApp(
  module: DynamicModule,
  appFileUrl: string,
  options: WebAppOptions = {},
): Promise<NestExpressApplication> {
  const here = (path: string): string => fileURLToPath(new URL(path, appFileUrl));
  const app = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  await configureViews(app, { views: [here('./views'), ...declaredViewsFolders(app)], public: here('./public') }, options.helpers);
  return app;
}
