import { AdminAccount } from '@opendsp/admin-auth';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { OmronConnection, OmronConnectionEvent } from '@opendsp/tokens';
import { EnvironmentStamp } from './environment-stamp.entity.js';

/** Every entity of the platform, listed explicitly (no folder scanning). */
export const DSP_ENTITIES = [EnvironmentStamp, AdminAccount, ProgramGroup, GroupRedirectUrl, OmronConnection, OmronConnectionEvent];
