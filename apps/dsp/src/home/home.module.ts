import { Module } from '@nestjs/common';
import { HomePortalController } from './home.portal.controller.js';
import { OmronRegistrationService } from './omron-registration.service.js';
import { ReadinessService } from './readiness.service.js';

@Module({ controllers: [HomePortalController], providers: [OmronRegistrationService, ReadinessService] })
export class HomeModule {}
