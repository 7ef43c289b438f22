import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, registerDecorator, type ValidationArguments } from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';

const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)$/;

/** An RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`): the API never guesses a time zone. */
export function IsDateTime(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isDateTime',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be an RFC 3339 date-time with an offset, e.g. 2026-11-23T10:00:00Z or 2026-11-23T19:00:00+09:00`,
      },
    });
}

/** A page size: a whole number from 1 to `max`. */
export function PageLimit(max: number): PropertyDecorator {
  return applyDecorators(
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(max),
  );
}

/** A list's `cursor` query parameter: the previous page's `nextCursor`, opaque to the client. */
export function PageCursorQuery(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' }),
    IsOptional(),
    IsString(),
    MaxLength(200),
  );
}

/** A list's `limit` query parameter: 1 to `max` rows; `fallback` (the property's initialiser too) when absent. */
export function PageLimitQuery(max: number, fallback: number): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional({ minimum: 1, maximum: max, default: fallback }), IsOptional(), PageLimit(max));
}

/** The public group ID format (see libs/groups). */
export const GROUP_ID_FORMAT = /^[0-9A-Z]{12}$/;

export function IsGroupId(): PropertyDecorator {
  return Matches(GROUP_ID_FORMAT, { message: '$property must be a group ID (12 characters, e.g. G7K2M9QX4TR1)' });
}
