import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { upper } from './helpers/upper.helpers.js';

/** Handlebars helpers by name; `upper` is always there. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- helpers take whatever the template passes
export type ViewHelpers = Record<string, (...args: any[]) => unknown>;

/**
 * Sets up server-rendered Handlebars views for an app: the given view folders (the app's own first, then
 * its rooms'), `layouts/main.hbs` as the layout, each folder's `partials/` as partials, the given helpers
 * registered through `hbs`, and `public/` under `/static`. Each app gets its own `hbs` instance, so two apps
 * in one process (the local launcher) keep their partials apart.
 */
export async function configureViews(
  app: NestExpressApplication,
  dirs: { views: string[]; public: string },
  helpers: ViewHelpers = {},
): Promise<void> {
  assertOneFilePerName(dirs.views);
  const instance = hbs.create();
  for (const [name, helper] of Object.entries({ upper, ...helpers })) instance.registerHelper(name, helper);
  // Keep partial names as their file names (hbs turns dashes into underscores by default).
  // (@types/hbs does not declare the options argument.)
  const registerPartials = instance.registerPartials as unknown as (dir: string, options: object, done: () => void) => void;
  for (const partials of dirs.views.map((dir) => join(dir, 'partials')).filter((dir) => existsSync(dir)))
    await new Promise<void>((resolve) => registerPartials.call(instance, partials, { rename: (name: string) => name }, resolve));
  app.useStaticAssets(dirs.public, { prefix: '/static/' });
  app.setBaseViewsDir(dirs.views);
  app.engine('hbs', instance.__express);
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/main' });
}

/**
 * Express renders a name from the first folder that has it, so two folders with the same template (or
 * partial) would quietly shadow one another: refused at start-up instead.
 */
function assertOneFilePerName(folders: string[]): void {
  const owner = new Map<string, string>();
  for (const folder of folders) {
    for (const name of readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.hbs'))) {
      const first = owner.get(name);
      if (first) throw new Error(`The view ${name} is in both ${first} and ${folder}`);
      owner.set(name, folder);
    }
  }
}
