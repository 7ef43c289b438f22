export * from './form-validation.js';
export * from './i18n.js';
export * from './request-validation.pipe.js';
