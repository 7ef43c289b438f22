export * from './charts/svg.js';
export * from './dashboard/dashboard-snapshots.module.js';
export * from './dashboard/dashboard-snapshots.service.js';
export * from './dashboard/group-dashboard-snapshot.entity.js';
export * from './data-views.module.js';
export * from './participants/dto/participant-filters.dto.js';
export * from './participants/participant-list.service.js';
