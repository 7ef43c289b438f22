import { Module } from '@nestjs/common';
import { HomePortalController } from './home.portal.controller.js';
import { OmronRegistrationService } from './omron-registration.service.js';

@Module({ controllers: [HomePortalController], providers: [OmronRegistrationService] })
export class HomeModule {}
