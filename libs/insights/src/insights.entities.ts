import { GroupBpTargets } from './group-bp-targets.entity.js';
import { GroupBpTrend } from './group-bp-trend.entity.js';
import { ParticipantReadingDay } from './participant-reading-day.entity.js';
import { ParticipantReadingDayRecount } from './participant-reading-day-recount.entity.js';

export const INSIGHTS_ENTITIES = [ParticipantReadingDay, ParticipantReadingDayRecount, GroupBpTargets, GroupBpTrend];
