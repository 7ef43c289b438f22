export * from './configure-views.js';
export * from './create-web-app.js';
