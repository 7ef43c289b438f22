import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/index.js';
import { OAuthModule } from '../oauth/index.js';
import { RateLimitsModule } from '../rate-limits/index.js';
import { MeasurementAccessGuard } from './measurement-access.guard.js';
import { MeasurementApiController } from './measurement-api.controller.js';
import { MeasurementApiService } from './measurement-api.service.js';
import { MeasurementStore } from './measurement-store.js';
import { ReadingIngestion } from './reading-ingestion.service.js';
import { UserPreferencesService } from './user-preferences.service.js';

/** The measurement API and the readings behind it: storage, ingestion and the users' unit preferences. */
@Module({
  imports: [OAuthModule, RateLimitsModule, NotificationsModule],
  controllers: [MeasurementApiController],
  providers: [MeasurementApiService, MeasurementStore, ReadingIngestion, UserPreferencesService, MeasurementAccessGuard],
  exports: [ReadingIngestion, UserPreferencesService, MeasurementStore],
})
export class MeasurementsModule {}
