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
  options: WebAppOptions & {
    /** Keep compiled templates (all but NODE_ENV=development, where they are edited while the app runs). */
    cacheViews: boolean;
  },
): Promise<NestExpressApplication> {
  const here = (path: string): string => fileURLToPath(new URL(path, appFileUrl));
  const app = await NestFactory.create<NestExpressApplication>(module, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  await configureViews(app, { views: [here('./views'), ...declaredViewsFolders(app)], public: here('./public') }, options.helpers);
  // Express keeps compiled templates only when process.env.NODE_ENV is "production", which the platform's config
  // (NODE_ENV defaults to production there) does not require: said here, from the validated config. Without the
  // cache each page reads and compiles its template and the layout again.
  app.set('view cache', options.cacheViews);
  return app;
}
