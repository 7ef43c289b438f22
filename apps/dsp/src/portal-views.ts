import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { concat } from './view-helpers/concat.js';
import { datetime } from './view-helpers/datetime.js';
import { eq } from './view-helpers/eq.js';
import { t } from './view-helpers/t.js';
import { upper } from './view-helpers/upper.js';

/**
 * The portal's Handlebars engine: the shared views setup (libs/views) plus the portal's helpers for the
 * message catalogues and time zone. It replaces the engine createWebApp registered, with the same views,
 * layout and partials.
 */
export async function configurePortalViews(app: NestExpressApplication): Promise<void> {
  const instance = hbs.create();
  instance.registerHelper('upper', upper);
  instance.registerHelper('t', t);
  instance.registerHelper('datetime', datetime);
  instance.registerHelper('eq', eq);
  instance.registerHelper('concat', concat);
  const partials = fileURLToPath(new URL('./views/partials', import.meta.url));
  const registerPartials = instance.registerPartials as unknown as (dir: string, options: object, done: () => void) => void;
  await new Promise<void>((resolve) => registerPartials.call(instance, partials, { rename: (name: string) => name }, resolve));
  app.engine('hbs', instance.__express);
}
