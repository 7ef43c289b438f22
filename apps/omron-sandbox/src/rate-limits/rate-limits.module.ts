import { Module } from '@nestjs/common';
import { RegisteredAppsModule } from '../registered-apps/index.js';
import { ClientRateLimits } from './client-rate-limits.service.js';
import { RateLimitsAdminController } from './rate-limits.admin.controller.js';

/** Per-client rate limits of the measurement API. */
@Module({
  imports: [RegisteredAppsModule],
  controllers: [RateLimitsAdminController],
  providers: [ClientRateLimits],
  exports: [ClientRateLimits],
})
export class RateLimitsModule {}
