import { AdminAccount } from '@opendsp/admin-auth';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { EnvironmentStamp } from './environment-stamp.entity.js';

/** Every entity of the platform, listed explicitly (no folder scanning). */
export const DSP_ENTITIES = [EnvironmentStamp, AdminAccount, ProgramGroup, GroupRedirectUrl];
