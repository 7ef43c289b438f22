export { ADHERENCE_ORDERS, ADHERENCE_PERIODS, ADHERENCE_THRESHOLD_DAYS } from './adherence.rules.js';
export type { AdherenceOrder, AdherencePeriod } from './adherence.rules.js';
export { AdherenceCursorError, AdherenceService } from './adherence.service.js';
export { BpControlService } from './bp-control.service.js';
export { INSIGHTS_ENTITIES } from './insights.entities.js';
export { ReadingDays } from './reading-days.service.js';
export { InsightsModule } from './insights.module.js';
export { InsightsPortalModule } from './insights-portal.module.js';
