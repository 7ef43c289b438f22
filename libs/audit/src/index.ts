export * from './audit-actions.js';
export * from './audit-event.entity.js';
export * from './audit-log.service.js';
export * from './audit.module.js';
