import { ApiProblem } from '../problems/api-problem.exception.js';
import { OBSERVATION_TYPES, type ObservationType } from './fhir-observations.helpers.js';

/** What a FHIR `date` search asks for: [from, to) after every bound, minus the `ne` ranges. */
export interface DateCriteria {
  from?: Date;
  to?: Date;
  excluded: { from: Date; to: Date }[];
  /** The bounds exclude each other: nothing can match. */
  empty: boolean;
}

type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';

// FHIR's date and dateTime search values: a time needs a zone. A '+' sent unencoded arrives as a space.
const DATE_VALUE =
  /^(eq|ne|gt|lt|ge|le|sa|eb)?(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(\.\d{1,6})?)?(Z|[+\- ]\d\d:\d\d))?)?)?$/;

const invalid = (field: string, code: string, message: string): ApiProblem => ApiProblem.validation([{ field, code, message }]);

/** The range a search value stands for, by its precision: `2026` a year, `2026-11-23` a UTC day, `…T10:00Z` a minute. */
function valueRange(value: string): { prefix: Prefix; from: Date; to: Date } {
  const match = DATE_VALUE.exec(value);
  const fail = () =>
    invalid(
      'date',
      'invalid_date',
      'date must be [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.s]](Z|±hh:mm)]]] with prefix eq, ne, gt, lt, ge, le, sa or eb, e.g. ge2026-11-01 or lt2026-11-23T19:00:00+09:00',
    );
  if (!match) throw fail();
  const [, prefix = 'eq', year, month, day, hour, minute, second, fraction, zone] = match;
  const y = Number(year);
  const m = month ? Number(month) - 1 : 0;
  const d = day ? Number(day) : 1;
  const date = new Date(Date.UTC(y, m, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m || date.getUTCDate() !== d) throw fail();
  if (!hour) {
    const to = day ? new Date(Date.UTC(y, m, d + 1)) : month ? new Date(Date.UTC(y, m + 1, 1)) : new Date(Date.UTC(y + 1, 0, 1));
    return { prefix: prefix as Prefix, from: date, to };
  }
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59) throw fail();
  const offset = zone === 'Z' ? 'Z' : `${zone.startsWith('-') ? '-' : '+'}${zone.slice(1)}`;
  const millis = fraction ? fraction.slice(1).padEnd(3, '0').slice(0, 3) : '000';
  const from = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}.${millis}${offset}`);
  if (Number.isNaN(from.getTime())) throw fail();
  const step = fraction ? 1 : second ? 1000 : 60_000;
  return { prefix: prefix as Prefix, from, to: new Date(from.getTime() + step) };
}

/**
 * FHIR's date search on a point in time (the reading's instant), every value ANDed: `eq` within the value's
 * range, `ne` outside it, `ge`/`gt`/`sa` at or after its start/end, `le`/`lt`/`eb` before its end/start.
 */
export function parseDateCriteria(values: readonly string[]): DateCriteria {
  let from: Date | undefined;
  let to: Date | undefined;
  const excluded: { from: Date; to: Date }[] = [];
  const lower = (at: Date) => (from = !from || at > from ? at : from);
  const upper = (at: Date) => (to = !to || at < to ? at : to);
  for (const value of values) {
    const range = valueRange(value);
    switch (range.prefix) {
      case 'eq':
        lower(range.from);
        upper(range.to);
        break;
      case 'ne':
        excluded.push({ from: range.from, to: range.to });
        break;
      case 'ge':
        lower(range.from);
        break;
      case 'gt':
      case 'sa':
        lower(range.to);
        break;
      case 'le':
        upper(range.to);
        break;
      case 'lt':
      case 'eb':
        upper(range.from);
        break;
    }
  }
  return { from, to, excluded, empty: Boolean(from && to && from >= to) };
}

/**
 * The Observation types a `code` search asks for: comma-separated codes, each `code` (any system) or
 * `system|code`. A code this API never writes matches nothing; it is no error.
 */
export function parseCodeCriteria(value: string | undefined): readonly ObservationType[] {
  if (value === undefined) return OBSERVATION_TYPES;
  const tokens = value.split(',').map((token) => token.trim());
  if (tokens.some((token) => token === '' || token === '|')) {
    throw invalid(
      'code',
      'invalid_code',
      'code must be LOINC codes or system|code pairs separated by commas, e.g. 85354-9,http://loinc.org|8867-4',
    );
  }
  const wanted = tokens.map((token) => {
    const bar = token.indexOf('|');
    return bar < 0 ? { system: null, code: token } : { system: token.slice(0, bar), code: token.slice(bar + 1) };
  });
  return OBSERVATION_TYPES.filter((type) =>
    type.codings.some((coding) =>
      wanted.some((want) => want.code === coding.code && (want.system === null || want.system === coding.system)),
    ),
  );
}
