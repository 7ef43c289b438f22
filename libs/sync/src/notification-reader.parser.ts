import { MEASUREMENT_TYPES, type MeasurementType } from '@opendsp/omron-api';

/**
 * One notification as read from whatever OMRON sends. The spec refers to "Implementing a Notification Endpoint",
 * but that section is missing from our copy, so the shape is a guess read tolerantly (docs/sync.md).
 */
export interface ReadNotification {
  /** The user as named by the notification: OMRON's user ID (`sub`) or Cognito's `custom:userId`. */
  userId: string;
  /** An OMRON measurement type, or null when the notification names none: every consented kind. */
  type: MeasurementType | null;
  /** The notification's time, or null when it has none (or none that can be read). */
  notifiedAt: Date | null;
}

export type NotificationReading =
  | { ok: true; notifications: ReadNotification[]; /** Items whose type this platform does not sync (ignored). */ ignored: number }
  | { ok: false; reason: string };

const USER_KEYS = ['id', 'userId', 'user_id', 'sub'] as const;
const TYPE_KEYS = ['type', 'dataType', 'measurementType'] as const;
const TIME_KEYS = ['timestamp'] as const;
/** At most this many notifications in one body; more is not something OMRON would send. */
export const MAX_NOTIFICATIONS_PER_BODY = 100;

/** OMRON's type names, read case- and punctuation-insensitively (`bloodPressure`, `blood_pressure`, `BLOODPRESSURE`). */
const TYPE_BY_FOLDED = new Map<string, MeasurementType>(MEASUREMENT_TYPES.map((type) => [type, type]));

/**
 * Reads a notification body: JSON or form fields, one object or an array of them. The user ID may be under `id`,
 * `userId`, `user_id` or `sub`; the type under `type`, `dataType` or `measurementType` (absent: every consented
 * kind; a type this platform does not sync: ignored); the `timestamp` is optional (ISO 8601, epoch seconds or
 * epoch milliseconds). Unknown fields are ignored. A body with no item naming a user cannot be mapped.
 */
export function readNotificationBody(body: unknown): NotificationReading {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return { ok: false, reason: 'empty array' };
  if (items.length > MAX_NOTIFICATIONS_PER_BODY) return { ok: false, reason: `more than ${MAX_NOTIFICATIONS_PER_BODY} notifications` };
  const notifications: ReadNotification[] = [];
  let ignored = 0;
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { ok: false, reason: 'an item is not an object' };
    const fields = item as Record<string, unknown>;
    const userId = firstText(fields, USER_KEYS, 200);
    if (!userId) return { ok: false, reason: `no user ID under ${USER_KEYS.join(', ')}` };
    const typeText = firstText(fields, TYPE_KEYS, 50);
    let type: MeasurementType | null = null;
    if (typeText) {
      const known = TYPE_BY_FOLDED.get(typeText.toLowerCase().replace(/[^a-z]/g, ''));
      if (!known) {
        ignored += 1;
        continue;
      }
      type = known;
    }
    notifications.push({ userId, type, notifiedAt: parseNotificationTimestamp(firstValue(fields, TIME_KEYS)) });
  }
  return { ok: true, notifications, ignored };
}

/**
 * Parses a notification time: an ISO 8601 date-time, or epoch seconds or milliseconds (a number or digits; ten
 * digits or fewer are seconds). Null when absent or unreadable, or not between 2000 and 2200.
 */
export function parseNotificationTimestamp(value: unknown): Date | null {
  let ms: number;
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (typeof value === 'number' || (text !== undefined && /^\d{1,16}(\.\d+)?$/.test(text))) {
    const number = Number(value);
    ms = Math.abs(number) < 1e11 ? number * 1000 : number;
  } else if (text !== undefined && /^\d{4}-\d{2}-\d{2}T/.test(text)) ms = Date.parse(text);
  else return null;
  ms = Math.round(ms);
  return Number.isFinite(ms) && ms >= 946_684_800_000 && ms < 7_258_118_400_000 ? new Date(ms) : null;
}

function firstValue(fields: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) if (Object.hasOwn(fields, key) && fields[key] !== undefined && fields[key] !== null) return fields[key];
  return undefined;
}

function firstText(fields: Record<string, unknown>, keys: readonly string[], maxLength: number): string | undefined {
  const value = firstValue(fields, keys);
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  return text && text.length <= maxLength ? text : undefined;
}
