import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { upper } from './helpers/upper.js';

/** Handlebars helpers by name; `upper` is always there. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- helpers take whatever the template passes
export type ViewHelpers = Record<string, (...args: any[]) => unknown>;

/**
 * Sets up server-rendered Handlebars views for an app: `views/` with `layouts/main.hbs` as the layout,
 * `views/partials/` as partials, the given helpers registered through `hbs`, and `public/` under `/static`.
 * Each app gets its own `hbs` instance, so two apps in one process (the local launcher) keep their
 * partials apart.
 */
export async function configureViews(
  app: NestExpressApplication,
  dirs: { views: string; partials: string; public: string },
  helpers: ViewHelpers = {},
): Promise<void> {
  const instance = hbs.create();
  for (const [name, helper] of Object.entries({ upper, ...helpers })) instance.registerHelper(name, helper);
  // Keep partial names as their file names (hbs turns dashes into underscores by default).
  // (@types/hbs does not declare the options argument.)
  const registerPartials = instance.registerPartials as unknown as (dir: string, options: object, done: () => void) => void;
  await new Promise<void>((resolve) => registerPartials.call(instance, dirs.partials, { rename: (name: string) => name }, resolve));
  app.useStaticAssets(dirs.public, { prefix: '/static/' });
  app.setBaseViewsDir(dirs.views);
  app.engine('hbs', instance.__express);
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/main' });
}
