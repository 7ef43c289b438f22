export * from './enrollment.entity.js';
export * from './consent-url.js';
export * from './ogsc-id.js';
export * from './participant.entity.js';
export * from './participants.module.js';
export * from './enrollment-events.js';
export * from './withdrawal.service.js';
