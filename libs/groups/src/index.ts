export { GroupAdminMembership } from './group-admin-membership.entity.js';
export { GroupPagePanels } from './group-page-panels.service.js';
export type { GroupPagePanel } from './group-page-panels.service.js';
export { GroupLookups, adminGroupIdsSql, groupDisplayNameSql, groupPublicIdSql } from './group-lookups.service.js';
export type { GroupLabel } from './group-lookups.service.js';
export { GroupsModule } from './groups.module.js';
export { GroupsService, platformResultUrl } from './groups.service.js';
export { GroupRedirectUrl, ProgramGroup } from './program-group.entity.js';
export { GroupVisibleGuard } from './group-visible.guard.js';
