import { Type } from 'class-transformer';
import { IsDateString, IsEmail, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MEASUREMENT_TYPES, type MeasurementType } from '@opendsp/omron-api';
import { DISTANCE_UNITS, TEMPERATURE_UNITS, UTC_OFFSET_FORMATS, WEIGHT_UNITS } from '../../measurements/index.js';
import type { DistanceUnit, TemperatureUnit, UtcOffsetFormat, WeightUnit } from '../../measurements/index.js';

export class PreferencesDto {
  @IsOptional()
  @IsIn(WEIGHT_UNITS)
  weightUnit?: WeightUnit;

  @IsOptional()
  @IsIn(TEMPERATURE_UNITS)
  temperatureUnit?: TemperatureUnit;

  @IsOptional()
  @IsIn(DISTANCE_UNITS)
  distanceUnit?: DistanceUnit;

  /** IANA zone name (checked against the runtime's zone database by the service). */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;

  @IsOptional()
  @IsIn(UTC_OFFSET_FORMATS)
  utcOffsetFormat?: UtcOffsetFormat;
}

export class CreateTestUserDto extends PreferencesDto {
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @MaxLength(200)
  email!: string;

  @IsString()
  @MinLength(8, { message: 'password must be at least 8 characters' })
  @MaxLength(200)
  password!: string;
}

export class GenerateReadingsDto {
  @IsIn(MEASUREMENT_TYPES)
  type!: MeasurementType;

  @IsDateString({}, { message: 'from must be an ISO 8601 date or date-time' })
  from!: string;

  @IsDateString({}, { message: 'to must be an ISO 8601 date or date-time' })
  to!: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  count!: number;

  /** Same seed, same readings. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  seed?: number;

  /** Share of blood-pressure readings flagged as possible AFib (default 0.03). */
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(1)
  afibRate?: number;
}
