import {
  CONNECTION_FILTERS,
  ENROLLMENT_METHODS,
  ENROLLMENT_STATUSES,
  PARTICIPANT_SORTS,
  parseParticipantCursor,
  READING_FILTERS,
  type ConnectionFilter,
  type EnrollmentMethod,
  type EnrollmentStatus,
  type ParticipantSort,
  type ReadingFilter,
} from '@opendsp/participants';

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
    if (!parseParticipantCursor(filters.sort, raw.after)) return { ok: false, field: 'after' };
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
