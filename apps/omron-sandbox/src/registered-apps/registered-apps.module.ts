import { Module, type OnApplicationBootstrap } from '@nestjs/common';
import { SandboxConfig } from '@opendsp/config';
import { RegisteredAppsAdminController } from './registered-apps.admin.controller.js';
import { RegisteredApps } from './registered-apps.service.js';
import { SandboxAdminGuard } from './sandbox-admin.guard.js';

/** Registered partner apps: the seed file at boot and the admin JSON API. */
@Module({
  controllers: [RegisteredAppsAdminController],
  providers: [RegisteredApps, SandboxAdminGuard],
  exports: [RegisteredApps, SandboxAdminGuard],
})
export class RegisteredAppsModule implements OnApplicationBootstrap {
  constructor(
    private readonly apps: RegisteredApps,
    private readonly config: SandboxConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.oauth.appsFile) await this.apps.seedFromFile(this.config.oauth.appsFile);
  }
}
