export {
  addDays,
  cachedQuarterHour,
  daysBetween,
  parseDay,
  startOfDayIn,
  wallClockInstant,
  zoneOffsetSeconds,
  zonedDay,
  zonedDayStart,
  zonedInstant,
  zonedParts,
} from './time-zone.helpers.js';
