export * from './ip-matcher.js';
export * from './web-security.js';
