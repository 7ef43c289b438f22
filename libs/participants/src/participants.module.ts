import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ConsentInvitation } from './consent-links/consent-invitation.entity.js';
import { ConsentInvitations } from './consent-links/consent-invitations.service.js';
import { ConsentLinks } from './consent-links/consent-links.service.js';
import { EnrollmentCounts } from './directory/enrollment-counts.service.js';
import { InternalCustomerIds } from './directory/internal-customer-ids.service.js';
import { ParticipantDirectory } from './directory/participant-directory.service.js';
import { ParticipantListQuery } from './directory/participant-list-query.service.js';
import { ParticipantLookups } from './directory/participant-lookups.service.js';
import { TokensModule } from '@opendsp/tokens';
import { ConsentActivityPort } from './consent-activity.port.js';
import { ConsentRecords } from './consent-records.service.js';
import { ConsentedParticipants } from './consented-participants.service.js';
import { Enrollment } from './enrollment.entity.js';
import { EnrollmentChangesPort } from './enrollment-changes.port.js';
import { EnrollmentEvents } from './enrollment-events.service.js';
import { Participant } from './participant.entity.js';
import { ParticipantReadingsPort } from './participant-readings.port.js';
import { CredentialSheetPurgeScheduler } from './provisioning/credential-sheet-purge.scheduler.js';
import { CredentialSheet } from './provisioning/credential-sheet.entity.js';
import { CredentialSheets } from './provisioning/credential-sheets.service.js';
import { ParticipantProvisioning } from './provisioning/participant-provisioning.service.js';
import { WithdrawalService } from './withdrawal.service.js';

/**
 * Participants (one per person, keyed by OGSC ID) and their enrollments in groups, with the services the
 * portal and the REST API share: provisioning of pre-created accounts, internal customer IDs, the
 * participant directory, list query and funnel, consent links and invitations. Needs AuditModule, CryptoModule, MailModule.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Participant, Enrollment, CredentialSheet, ConsentInvitation]), TokensModule],
  providers: [
    ParticipantProvisioning,
    CredentialSheets,
    CredentialSheetPurgeScheduler,
    InternalCustomerIds,
    ParticipantDirectory,
    ParticipantListQuery,
    ConsentLinks,
    ConsentInvitations,
    EnrollmentEvents,
    EnrollmentChangesPort,
    ParticipantReadingsPort,
    WithdrawalService,
    ConsentedParticipants,
    ParticipantLookups,
    EnrollmentCounts,
    ConsentRecords,
    ConsentActivityPort,
  ],
  exports: [
    MikroOrmModule,
    ParticipantProvisioning,
    CredentialSheets,
    InternalCustomerIds,
    ParticipantDirectory,
    ParticipantListQuery,
    ConsentLinks,
    ConsentInvitations,
    EnrollmentEvents,
    EnrollmentChangesPort,
    ParticipantReadingsPort,
    WithdrawalService,
    ConsentedParticipants,
    ParticipantLookups,
    EnrollmentCounts,
    ConsentRecords,
    ConsentActivityPort,
  ],
})
export class ParticipantsModule {}
