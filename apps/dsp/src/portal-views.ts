import type { ViewHelpers } from '@opendsp/views';
import { concat } from './view-helpers/concat.js';
import { datetime } from './view-helpers/datetime.js';
import { eq } from './view-helpers/eq.js';
import { includes } from './view-helpers/includes.js';
import { number } from './view-helpers/number.js';
import { t } from './view-helpers/t.js';

/** The portal's Handlebars helpers, besides the shared ones: message catalogues, time zone, comparisons. */
export const PORTAL_VIEW_HELPERS: ViewHelpers = { t, datetime, eq, concat, number, includes };
