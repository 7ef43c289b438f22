import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { TokensModule } from '@opendsp/tokens';
import { Enrollment } from './enrollment.entity.js';
import { EnrollmentEvents } from './enrollment-events.js';
import { Participant } from './participant.entity.js';
import { WithdrawalService } from './withdrawal.service.js';

/** Participants (one per person, keyed by OGSC ID) and their enrollments in groups. */
@Module({
  imports: [MikroOrmModule.forFeature([Participant, Enrollment]), TokensModule],
  providers: [EnrollmentEvents, WithdrawalService],
  exports: [MikroOrmModule, EnrollmentEvents, WithdrawalService],
})
export class ParticipantsModule {}
