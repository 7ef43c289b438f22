import {
  isMeasurementType,
  MEASUREMENT_TYPES,
  PAGINATION_KEYS,
  type MeasurementType,
  type PaginationKeyName,
} from './measurement-types.catalogue.js';

export type SortOrder = 'asc' | 'desc';

/** The form parameters of a measurement request, as a client sends them. */
export interface MeasurementRequestParams {
  /** `MM-DD-YYYY`, `MM/DD/YYYY` or `YYYY-MM-DD` (see {@link formatSinceDate}). */
  since?: string;
  limit?: number;
  type?: MeasurementType;
  includeHourlyActivity?: boolean;
  sortOrder?: SortOrder;
  bloodpressurePaginationKey?: number;
  activityPaginationKey?: number;
  weightPaginationKey?: number;
  temperaturePaginationKey?: number;
  oxygenPaginationKey?: number;
  ecgPaginationKey?: number;
}

/** A validated measurement request. */
export interface MeasurementQuery {
  /** Inclusive lower bound of the measurement time, or null for "from the first upload". */
  since: Date | null;
  /** Readings per type per page; null when the client gave none. */
  limit: number | null;
  /** The `type` filter, or null for every type the user granted. */
  type: MeasurementType | null;
  includeHourlyActivity: boolean;
  sortOrder: SortOrder;
  /** Keyset positions per type: epoch milliseconds of the last measurement already received. */
  after: Partial<Record<MeasurementType, number>>;
}

/** A parameter the API refuses; `parameter` names it for the error answer. */
export class MeasurementParamError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'MeasurementParamError';
  }
}

const PARAMETERS = new Set<string>(['since', 'limit', 'type', 'includeHourlyActivity', 'sortOrder', ...Object.values(PAGINATION_KEYS)]);

function utcDate(year: number, month: number, day: number): Date | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 02-30 over to 03-02; a date that does not round-trip does not exist.
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && year >= 1970 ? date : null;
}

/**
 * Parses the `since` forms of the spec (12-01-2015, 12/01/2015, 2015-12-01: month before day in the
 * first two) as midnight UTC, and, for legacy paging ("a since parameter of the last measurement
 * date/time"), an ISO date-time, UTC unless it carries an offset. Returns null for anything else.
 */
export function parseSinceDate(value: string): Date | null {
  const trimmed = value.trim();
  let match = /^(\d{1,2})([-/])(\d{1,2})\2(\d{4})$/.exec(trimmed);
  if (match) return utcDate(Number(match[4]), Number(match[1]), Number(match[3]));
  match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  if (match) return utcDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/.exec(trimmed);
  if (!match) return null;
  const day = utcDate(Number(match[1]), Number(match[2]), Number(match[3]));
  const [hours, minutes, seconds] = [Number(match[4]), Number(match[5]), Number(match[6] ?? 0)];
  if (!day || hours > 23 || minutes > 59 || seconds > 59) return null;
  const parsed = new Date(
    `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6] ?? '00'}${match[7] ?? ''}${match[8] ?? 'Z'}`,
  );
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

/** `since` as the spec's ISO form, `YYYY-MM-DD` (UTC). */
export function formatSinceDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function single(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MeasurementParamError(name, `${name} must be given once, as a plain value`);
  return value;
}

function wholeNumber(name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,16}$/.test(value.trim())) throw new MeasurementParamError(name, `${name} must be a whole number`);
  const number = Number(value.trim());
  if (number < min || number > max) throw new MeasurementParamError(name, `${name} must be between ${min} and ${max}`);
  return number;
}

/**
 * Validates a measurement request's form body; throws {@link MeasurementParamError} on the first bad
 * or unknown parameter. Empty values count as absent, as form-encoding clients send them for "unset".
 */
export function parseMeasurementParams(body: Record<string, unknown>, options: { maxLimit: number }): MeasurementQuery {
  for (const name of Object.keys(body)) {
    if (!PARAMETERS.has(name)) throw new MeasurementParamError(name, `Unknown parameter ${name}`);
  }
  const present = (name: string): string | undefined => {
    const value = single(body, name);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const sinceText = present('since');
  const since = sinceText === undefined ? null : parseSinceDate(sinceText);
  if (sinceText !== undefined && !since) {
    throw new MeasurementParamError('since', 'since must be a date such as 12-01-2015, 12/01/2015 or 2015-12-01');
  }

  const limitText = present('limit');
  const limit = limitText === undefined ? null : wholeNumber('limit', limitText, 1, options.maxLimit);

  const typeText = present('type');
  if (typeText !== undefined && !isMeasurementType(typeText)) {
    throw new MeasurementParamError('type', `type must be one of ${MEASUREMENT_TYPES.join(', ')}`);
  }

  const hourlyText = present('includeHourlyActivity')?.toLowerCase();
  if (hourlyText !== undefined && hourlyText !== 'true' && hourlyText !== 'false') {
    throw new MeasurementParamError('includeHourlyActivity', 'includeHourlyActivity must be true or false');
  }

  const sortText = present('sortOrder')?.toLowerCase() ?? 'desc';
  if (sortText !== 'asc' && sortText !== 'desc') throw new MeasurementParamError('sortOrder', "sortOrder must be 'desc' or 'asc'");

  const after: Partial<Record<MeasurementType, number>> = {};
  for (const type of MEASUREMENT_TYPES) {
    const name: PaginationKeyName = PAGINATION_KEYS[type];
    const keyText = present(name);
    if (keyText !== undefined) after[type] = wholeNumber(name, keyText, 0, 8_640_000_000_000_000);
  }

  return {
    since,
    limit,
    type: (typeText as MeasurementType | undefined) ?? null,
    includeHourlyActivity: hourlyText === 'true',
    sortOrder: sortText,
    after,
  };
}

/** The form body for a request, for clients (`URLSearchParams` is what `fetch` sends as form-urlencoded). */
export function measurementRequestBody(params: MeasurementRequestParams): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) body.set(name, String(value));
  }
  return body;
}
