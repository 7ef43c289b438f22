export type { ViewHelpers } from './configure-views.js';
export { createWebApp } from './create-web-app.js';
export type { WebAppOptions } from './create-web-app.js';
export { ViewsFolder } from './views-folder.js';
