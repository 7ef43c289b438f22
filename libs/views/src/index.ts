export * from './configure-views.js';
