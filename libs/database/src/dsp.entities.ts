import { OperationsFact } from './operations-fact.entity.js';
import { AdminAccount, AdminSession, AdminToken, LoginThrottle } from '@opendsp/admin-auth';
import { API_ENTITIES } from '@opendsp/api';
import { AuditEvent } from '@opendsp/audit';
import { ConsentFlow, ConsentLinkOpen, ParticipantSession } from '@opendsp/consent';
import { GroupDashboardSnapshot } from '@opendsp/data-views';
import { EXPORT_ENTITIES } from '@opendsp/exports';
import { WEBHOOK_ENTITIES } from '@opendsp/webhooks';
import { ALERT_ENTITIES } from '@opendsp/alerts';
import { INSIGHTS_ENTITIES } from '@opendsp/insights';
import { GroupAdminMembership, GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { OutboxMail } from '@opendsp/mail';
import { READING_ENTITIES } from '@opendsp/measurements';
import { Enrollment, Participant } from '@opendsp/participants';
// Pre-created accounts' one-time credential sheets and consent-link invitations (enrollment admin).
import { ConsentInvitation, CredentialSheet } from '@opendsp/participants';
import { OmronConnection, OmronConnectionEvent } from '@opendsp/tokens';
import { SYNC_ENTITIES } from '@opendsp/sync';
import { EnvironmentStamp } from './environment-stamp.entity.js';

/** Every entity of the platform, listed explicitly (no folder scanning). */
export const DSP_ENTITIES = [
  EnvironmentStamp,
  AdminAccount,
  ProgramGroup,
  GroupRedirectUrl,
  OmronConnection,
  OmronConnectionEvent,
  AdminSession,
  AdminToken,
  LoginThrottle,
  GroupAdminMembership,
  AuditEvent,
  OutboxMail,
  Participant,
  Enrollment,
  CredentialSheet,
  ConsentInvitation,
  ...READING_ENTITIES,
  ConsentFlow,
  ConsentLinkOpen,
  ParticipantSession,
  ...API_ENTITIES,
  ...SYNC_ENTITIES,
  GroupDashboardSnapshot,
  ...EXPORT_ENTITIES,
  ...WEBHOOK_ENTITIES,
  ...ALERT_ENTITIES,
  ...INSIGHTS_ENTITIES,
  OperationsFact,
];
