import { Module } from '@nestjs/common';
import { HomePortalController } from './home.portal.controller.js';

@Module({ controllers: [HomePortalController] })
export class HomeModule {}
