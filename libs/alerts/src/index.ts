export { ALERT_ENTITIES } from './alert.entities.js';
export { AlertsModule } from './alerts.module.js';
export { AlertsPortalModule } from './alerts-portal.module.js';
export { AlertChecks } from './alert-checks.service.js';
export { AlertRaising } from './alert-raising.service.js';
export { AlertList, AlertNotFoundError, AlertNotOpenError } from './alert-list.service.js';
export type { AlertRecord } from './alert-list.service.js';
export { ALERT_RESOLUTIONS, ALERT_RULES, ALERT_STATUSES, NOTE_MAX_LENGTH } from './alert-rules.catalogue.js';
export type { AlertResolution, AlertRule, AlertStatus } from './alert-rules.catalogue.js';
