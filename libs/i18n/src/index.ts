export * from './form-validation.js';
export * from './i18n.js';
