export * from './configure-views.js';
export * from './create-web-app.js';
export * from './views-folder.js';
