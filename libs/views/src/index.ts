export type { ViewHelpers } from './configure-views.helpers.js';
export { createWebApp } from './create-web-app.helpers.js';
export type { WebAppOptions } from './create-web-app.helpers.js';
export { ViewsFolder } from './views-folder.decorator.js';
