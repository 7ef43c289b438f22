export {
  addDays,
  daysBetween,
  parseDay,
  startOfDayIn,
  wallClockInstant,
  zoneOffsetSeconds,
  zonedDay,
  zonedDayStart,
  zonedInstant,
} from './time-zone.helpers.js';
