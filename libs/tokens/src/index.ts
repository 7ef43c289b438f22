export * from './clock.js';
export * from './omron-connection.entity.js';
export * from './omron-connections.service.js';
export * from './omron-oauth-client.js';
export * from './omron-tokens.service.js';
export * from './refresh-policy.js';
export * from './tokens.module.js';
