export { DashboardSnapshotsModule } from './dashboard/dashboard-snapshots.module.js';
export { DashboardSnapshots } from './dashboard/dashboard-snapshots.service.js';
export { GroupDashboardSnapshot } from './dashboard/group-dashboard-snapshot.entity.js';
export { DataViewsModule } from './data-views.module.js';
export { parseParticipantFilters } from './participants/dto/participant-filters.dto.js';
export { ParticipantList } from './participants/participant-list.service.js';
