export { ENROLLMENT_STATUSES, Enrollment } from './enrollment.entity.js';
export type { EnrollmentStatus } from './enrollment.entity.js';
export { buildConsentUrl } from './consent-url.helpers.js';
export { generateOgscId, looksLikeOgscId } from './ogsc-id.rules.js';
export { ENROLLMENT_METHODS, Participant } from './participant.entity.js';
export type { EnrollmentMethod } from './participant.entity.js';
export { ParticipantsModule } from './participants.module.js';
export { LOGIN_ID_PATTERN, PASSWORD_ALPHABET } from './provisioning/credentials.rules.js';
export { CredentialSheet } from './provisioning/credential-sheet.entity.js';
export { ConsentInvitation } from './consent-links/consent-invitation.entity.js';
export { CredentialSheets } from './provisioning/credential-sheets.service.js';
export { ParticipantProvisioning } from './provisioning/participant-provisioning.service.js';
export { InternalCustomerIds } from './directory/internal-customer-ids.service.js';
export { ParticipantLookups } from './directory/participant-lookups.service.js';
export type { EnrollmentWithGroup, ParticipantSummary, ParticipantWithEnrollments } from './directory/participant-lookups.service.js';
export { EnrollmentCounts } from './directory/enrollment-counts.service.js';
export {
  CONNECTION_FILTERS,
  PARTICIPANT_SORTS,
  ParticipantListQuery,
  READING_FILTERS,
  parseParticipantCursor,
} from './directory/participant-list-query.service.js';
export type {
  ConnectionFilter,
  ParticipantListCriteria,
  ParticipantListRow,
  ParticipantPeopleCriteria,
  ParticipantSort,
  ReadingFilter,
} from './directory/participant-list-query.service.js';
export { funnelStage, staleCutoff } from './directory/enrollment-funnel.rules.js';
export { backUrlProblem, readCustomParams } from './consent-links/custom-params.rules.js';
export type { CustomParamsProblem } from './consent-links/custom-params.rules.js';
export { consentQrPng, consentQrSvg } from './consent-links/consent-qr.helpers.js';
export { ParticipantsPortalModule } from './portal/participants-portal.module.js';
export { EnrollmentEvents } from './enrollment-events.service.js';
export type { ConnectionRestored, ConsentAccepted, EnrollmentWithdrawn } from './enrollment-events.service.js';
export { EnrollmentNotFoundError, WithdrawalService } from './withdrawal.service.js';
export { ParticipantReadingsPort } from './participant-readings.port.js';
export { EnrollmentChangesPort } from './enrollment-changes.port.js';
export type { EnrollmentChange } from './enrollment-changes.port.js';
export {
  ConsentedParticipants,
  consentedInGroupsSql,
  consentedMemberListSql,
  consentedMembersSql,
  ogscIdSql,
} from './consented-participants.service.js';
export { ConsentRecords, participantActor } from './consent-records.service.js';
export { ConsentActivityPort } from './consent-activity.port.js';
