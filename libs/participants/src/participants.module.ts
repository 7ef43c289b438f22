import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Enrollment } from './enrollment.entity.js';
import { Participant } from './participant.entity.js';

/** Participants (one per person, keyed by OGSC ID) and their enrollments in groups. */
@Module({
  imports: [MikroOrmModule.forFeature([Participant, Enrollment])],
  exports: [MikroOrmModule],
})
export class ParticipantsModule {}
