import { GroupBpTargets } from './group-bp-targets.entity.js';
import { GroupBpTrend } from './group-bp-trend.entity.js';
import { ParticipantReadingMonth } from './participant-reading-month.entity.js';

export const INSIGHTS_ENTITIES = [ParticipantReadingMonth, GroupBpTargets, GroupBpTrend];
