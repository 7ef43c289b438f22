import { Module } from '@nestjs/common';
import { DevOutboxPortalController } from './dev-outbox.portal.controller.js';

@Module({ controllers: [DevOutboxPortalController] })
export class DevModule {}
