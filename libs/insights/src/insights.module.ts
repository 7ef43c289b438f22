import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MeasurementsModule } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { AdherenceService } from './adherence.service.js';
import { BpControlService } from './bp-control.service.js';
import { INSIGHTS_ENTITIES } from './insights.entities.js';
import { ReadingDays } from './reading-days.service.js';

/**
 * Program insights from readings: the summary by participant and month kept as readings land (every process role
 * that writes readings must load it, so it is in the app's list for all roles), remote-monitoring adherence and
 * blood-pressure control per group.
 */
@Module({
  imports: [MikroOrmModule.forFeature(INSIGHTS_ENTITIES), MeasurementsModule, ParticipantsModule],
  providers: [ReadingDays, AdherenceService, BpControlService],
  exports: [AdherenceService, BpControlService, ReadingDays],
})
export class InsightsModule {}
