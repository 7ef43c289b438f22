export * from './logging.module.js';
export * from './redaction.js';
