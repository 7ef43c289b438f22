import { AdminAccount, AdminSession, AdminToken, LoginThrottle } from '@opendsp/admin-auth';
import { AuditEvent } from '@opendsp/audit';
import { EXPORT_ENTITIES } from '@opendsp/exports';
import { GroupAdminMembership, GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { OutboxMail } from '@opendsp/mail';
import { READING_ENTITIES } from '@opendsp/measurements';
import { Enrollment, Participant } from '@opendsp/participants';
import { OmronConnection, OmronConnectionEvent } from '@opendsp/tokens';
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
  ...READING_ENTITIES,
  ...EXPORT_ENTITIES,
];
