import { Module, type OnModuleInit } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ParticipantReadingsPort, ParticipantsModule } from '@opendsp/participants';
import { READING_ENTITIES } from './reading.entity.js';
import { ReadingsLanded } from './readings-landed.service.js';
import { ReadingsRepository } from './readings.repository.js';

/**
 * The typed reading tables, one per kind of measurement, and `ReadingsRepository`, which holds every query
 * on them. Implements participants' `ParticipantReadingsPort`, so a withdrawal deletes readings without
 * participants depending on measurements. `ReadingsLanded` tells the rooms above which readings a write landed.
 */
@Module({
  imports: [MikroOrmModule.forFeature(READING_ENTITIES), ParticipantsModule],
  providers: [ReadingsRepository, ReadingsLanded],
  exports: [MikroOrmModule, ReadingsRepository, ReadingsLanded],
})
export class MeasurementsModule implements OnModuleInit {
  constructor(
    private readonly participantReadings: ParticipantReadingsPort,
    private readonly readings: ReadingsRepository,
  ) {}

  onModuleInit(): void {
    this.participantReadings.implement((em, participantId) => this.readings.deleteParticipantReadings(em, participantId));
  }
}
