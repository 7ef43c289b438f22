export * from './group-admin-membership.entity.js';
export * from './group-id.js';
export * from './group-page-panels.js';
export * from './groups.module.js';
export * from './groups.service.js';
export * from './program-group.entity.js';
export * from './redirect-url.js';
