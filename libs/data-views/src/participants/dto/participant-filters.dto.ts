import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
  validateSync,
} from 'class-validator';
import { BrowserForm } from '@opendsp/i18n';
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

/** An empty parameter means "any"; a repeated one stays a list, which no field accepts. */
const blankIsAbsent = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() || undefined : value);

/** The cursor must be one of the chosen sort's (a cursor of another sort would start mid-list in the wrong order). */
@ValidatorConstraint({ name: 'participantCursor' })
class ParticipantCursorOfSort implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const sort = (args.object as ParticipantFiltersQuery).sort;
    return (PARTICIPANT_SORTS as readonly unknown[]).includes(sort) && parseParticipantCursor(sort, value) !== null;
  }
}

/**
 * The cross-group list's filters from its query string, through the global ValidationPipe. A value the form
 * never offers (a hand-edited URL) is a 400, so a typo cannot silently show everything.
 */
export class ParticipantFiltersQuery extends BrowserForm implements ParticipantFilters {
  /** OGSC ID, internal customer ID or login ID: exact, or a prefix of at least 3 characters. */
  @Transform(blankIsAbsent)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @Transform(blankIsAbsent)
  @IsOptional()
  @IsString()
  @Matches(/^[0-9A-Z]{12}$/)
  group?: string;

  @Transform(blankIsAbsent)
  @IsOptional()
  @IsIn(ENROLLMENT_METHODS)
  method?: EnrollmentMethod;

  @Transform(blankIsAbsent)
  @IsOptional()
  @IsIn(ENROLLMENT_STATUSES)
  consent?: EnrollmentStatus;

  @Transform(blankIsAbsent)
  @IsOptional()
  @IsIn(CONNECTION_FILTERS)
  connection?: ConnectionFilter;

  @Transform(blankIsAbsent)
  @IsOptional()
  @IsIn(READING_FILTERS)
  reading?: ReadingFilter;

  @Transform(({ value }) => blankIsAbsent({ value }) ?? 'newest')
  @IsIn(PARTICIPANT_SORTS)
  sort: ParticipantSort = 'newest';

  @Transform(blankIsAbsent)
  @IsOptional()
  @IsString()
  @Validate(ParticipantCursorOfSort)
  after?: string;
}

/** The same filters from a query string parsed by hand (the scale test's URLs), by the same DTO and rules. */
export function parseParticipantFilters(
  query: Record<string, unknown>,
): { ok: true; filters: ParticipantFilters } | { ok: false; field: string } {
  const parsed = plainToInstance(ParticipantFiltersQuery, query, { exposeDefaultValues: true });
  const [problem] = validateSync(parsed, { whitelist: true, stopAtFirstError: true });
  return problem ? { ok: false, field: problem.property } : { ok: true, filters: { ...parsed } };
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
