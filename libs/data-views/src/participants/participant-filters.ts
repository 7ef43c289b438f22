import { ENROLLMENT_METHODS, ENROLLMENT_STATUSES, type EnrollmentMethod, type EnrollmentStatus } from '@opendsp/participants';
import { CONNECTION_STATES, type ConnectionState } from '@opendsp/tokens';

export const PARTICIPANT_SORTS = ['newest', 'last_reading', 'quiet', 'ogsc_id'] as const;
export type ParticipantSort = (typeof PARTICIPANT_SORTS)[number];

/** Last-reading filters: within 24 h / 7 days / STALE_AFTER_DAYS (`recent`), older (`stale`), `never`, or `any`. */
export const READING_FILTERS = ['24h', '7d', 'recent', 'stale', 'never', 'any'] as const;
export type ReadingFilter = (typeof READING_FILTERS)[number];

/** OMRON connection states, and `none` for participants who have not connected an OMRON account. */
export const CONNECTION_FILTERS = [...CONNECTION_STATES, 'none'] as const;
export type ConnectionFilter = ConnectionState | 'none';

export interface ParticipantFilters {
  /** OGSC ID, internal customer ID or login ID: exact, or a prefix of at least 3 characters. */
  q?: string;
  /** A public group ID. */
  group?: string;
  method?: EnrollmentMethod;
  consent?: EnrollmentStatus;
  connection?: ConnectionFilter;
  reading?: ReadingFilter;
  sort: ParticipantSort;
  /** Keyset cursor: the sort value and enrollment ID of the last row of the previous page. */
  after?: string;
}

/** The query parameters the list reads; anything else in the URL is ignored. */
const KEYS = ['q', 'group', 'method', 'consent', 'connection', 'reading', 'sort', 'after'] as const;

function oneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/**
 * The list's filters from a query string. An empty parameter means "any"; a value the form never offers
 * (a hand-edited URL) is refused, so a typo cannot silently show everything.
 */
export function parseParticipantFilters(
  query: Record<string, unknown>,
): { ok: true; filters: ParticipantFilters } | { ok: false; field: string } {
  const raw: Record<string, string> = {};
  for (const key of KEYS) {
    const value = query[key];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') return { ok: false, field: key };
    raw[key] = value.trim();
  }
  const filters: ParticipantFilters = { sort: 'newest' };
  if (raw.q) {
    if (raw.q.length > 200) return { ok: false, field: 'q' };
    filters.q = raw.q;
  }
  if (raw.group) {
    if (!/^[0-9A-Z]{12}$/.test(raw.group)) return { ok: false, field: 'group' };
    filters.group = raw.group;
  }
  if (raw.method) {
    if (!oneOf(ENROLLMENT_METHODS, raw.method)) return { ok: false, field: 'method' };
    filters.method = raw.method;
  }
  if (raw.consent) {
    if (!oneOf(ENROLLMENT_STATUSES, raw.consent)) return { ok: false, field: 'consent' };
    filters.consent = raw.consent;
  }
  if (raw.connection) {
    if (!oneOf(CONNECTION_FILTERS, raw.connection)) return { ok: false, field: 'connection' };
    filters.connection = raw.connection;
  }
  if (raw.reading) {
    if (!oneOf(READING_FILTERS, raw.reading)) return { ok: false, field: 'reading' };
    filters.reading = raw.reading;
  }
  if (raw.sort) {
    if (!oneOf(PARTICIPANT_SORTS, raw.sort)) return { ok: false, field: 'sort' };
    filters.sort = raw.sort;
  }
  if (raw.after) {
    if (!parseCursor(filters.sort, raw.after)) return { ok: false, field: 'after' };
    filters.after = raw.after;
  }
  return { ok: true, filters };
}

/** The query string of a filter set (without the cursor unless given), for links and the pager. */
export function participantsQuery(filters: Partial<ParticipantFilters>): string {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = filters[key];
    if (value && !(key === 'sort' && value === 'newest')) params.set(key, value);
  }
  const query = params.toString();
  return query ? `?${query}` : '';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INSTANT = /^(-infinity|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/;

/** A cursor is `<sort value>~<enrollment id>`; the value is an instant with microseconds (or `-infinity`), or an OGSC ID. */
export function parseCursor(sort: ParticipantSort, cursor: string): { value: string; id: string } | null {
  const at = cursor.lastIndexOf('~');
  if (at < 0) return null;
  const value = cursor.slice(0, at);
  const id = cursor.slice(at + 1);
  if (!UUID.test(id)) return null;
  if (sort === 'ogsc_id') return /^OG-[0-9A-Z]{24}$/.test(value) ? { value, id } : null;
  if (!INSTANT.test(value) || (value !== '-infinity' && Number.isNaN(Date.parse(value)))) return null;
  if (sort === 'newest' && value === '-infinity') return null;
  return { value, id };
}
