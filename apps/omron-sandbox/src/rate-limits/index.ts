export { RateLimitsModule } from './rate-limits.module.js';
export { ClientRateLimits, type RateLimitVerdict } from './client-rate-limits.service.js';
