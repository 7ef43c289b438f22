import { Module } from '@nestjs/common';
import { SandboxHomeController } from './sandbox-home.controller.js';

@Module({ controllers: [SandboxHomeController] })
export class SandboxHomeModule {}
