export { AUDIT_ACTIONS } from './audit-actions.catalogue.js';
export { AuditEvent } from './audit-event.entity.js';
export { AuditLog } from './audit-log.service.js';
export type { AuditActor } from './audit-log.service.js';
export { AuditModule } from './audit.module.js';
