export * from './health.module.js';
export { HEALTH_DETAILS_FOR, type HealthDetailsFor } from './health.controller.js';
