export { ipv4Matcher } from './ip-matcher.helpers.js';
export { applyWebSecurity, sourceAllowed } from './web-security.helpers.js';
export { SharedRateLimiter } from './shared-rate-limiter.helpers.js';
