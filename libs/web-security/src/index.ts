export { ipv4Matcher } from './ip-matcher.js';
export { applyWebSecurity, sourceAllowed } from './web-security.js';
export { SharedRateLimiter } from './shared-rate-limiter.js';
