import { Global, Module } from '@nestjs/common';
import { ClockAdminController } from './clock.admin.controller.js';
import { SandboxClock } from './sandbox-clock.js';

@Global()
@Module({ providers: [SandboxClock], exports: [SandboxClock], controllers: [ClockAdminController] })
export class ClockModule {}
