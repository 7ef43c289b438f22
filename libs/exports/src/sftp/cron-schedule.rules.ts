import { CronExpressionParser } from 'cron-parser';

/**
 * A delivery schedule: a standard five-field cron expression (minute hour day-of-month month day-of-week) or
 * one of @hourly, @daily, @weekly, @monthly, read in the environment's time zone. Six-field expressions
 * (with seconds) are refused: deliveries are not run more than once a minute.
 */
export function isValidSchedule(expression: string): boolean {
  return nextRunOf(expression, new Date(), 'UTC') !== null;
}

const ALIASES = new Set(['@hourly', '@daily', '@weekly', '@monthly']);

/** The first time after `after` the schedule fires, or null when the expression is not a valid schedule. */
export function nextRunOf(expression: string, after: Date, timeZone: string): Date | null {
  const trimmed = expression.trim();
  if (!ALIASES.has(trimmed) && trimmed.split(/\s+/).length !== 5) return null;
  try {
    return CronExpressionParser.parse(trimmed, { tz: timeZone, currentDate: after }).next().toDate();
  } catch {
    return null;
  }
}
