export * from './ip-matcher.js';
export * from './web-security.js';
export * from './shared-rate-limiter.js';
