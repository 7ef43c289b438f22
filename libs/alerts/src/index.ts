export { ALERT_ENTITIES } from './alert.entities.js';
export { AlertsModule } from './alerts.module.js';
export { AlertsPortalModule } from './alerts-portal.module.js';
export { AlertChecks } from './alert-checks.service.js';
export { AlertRaising } from './alert-raising.service.js';
