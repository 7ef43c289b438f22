export { RegisteredAppsModule } from './registered-apps.module.js';
export { RegisteredApps, upsertRegisteredApp, RegisteredAppsSeedError } from './registered-apps.service.js';
export { RegisteredApp } from './registered-app.entity.js';
export { SandboxAdminGuard } from './sandbox-admin.guard.js';
export type { CreateRegisteredAppDto, RegisteredAppView } from './dto/registered-app.dto.js';
