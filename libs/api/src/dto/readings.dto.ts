import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { IsDateTime, IsGroupId, PageCursorQuery, PageLimitQuery } from './validators.decorators.js';

/** Fields every reading has, whatever its kind. */
export class ReadingBaseDto {
  @ApiProperty({ enum: MEASUREMENT_KIND_NAMES, description: 'Which kind of reading this is; decides the other fields.' })
  kind!: MeasurementKind;

  @ApiProperty({ example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6' })
  ogscId!: string;

  @ApiProperty({ description: "OMRON's measurement ID. With `ogscId` and `kind` it identifies the reading for good.", example: '3127001' })
  upstreamId!: string;

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    description: 'Change sequence number of the latest write of this reading.',
    example: 4711,
  })
  changeSeq!: number;

  @ApiProperty({
    format: 'date-time',
    description: 'The instant of the measurement, ISO 8601 in UTC.',
    example: '2026-11-23T10:00:05.000Z',
  })
  measuredAt!: string;

  @ApiProperty({
    description: "The participant's local wall-clock time with its UTC offset (ISO 8601).",
    example: '2026-11-23T19:00:05+09:00',
  })
  measuredAtLocal!: string;

  @ApiProperty({ type: 'integer', description: 'The UTC offset of `measuredAtLocal` in seconds east of UTC.', example: 32400 })
  utcOffsetSeconds!: number;

  @ApiProperty({ description: "OMRON's device type.", example: 'OMRON HEM-7600T' })
  deviceType!: string;

  @ApiProperty({ format: 'date-time', description: 'When OpenDSP first stored it (ISO 8601, UTC).' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'When OpenDSP last changed it (ISO 8601, UTC).' })
  updatedAt!: string;
}

export class BloodPressureReadingDto extends ReadingBaseDto {
  @ApiProperty({ enum: ['blood_pressure'] })
  declare kind: 'blood_pressure';

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Systolic pressure in mmHg; null for a possible-AFib reading without values.',
    example: 128,
  })
  systolicMmhg!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Diastolic pressure in mmHg.', example: 82 })
  diastolicMmhg!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Pulse in beats per minute.', example: 71 })
  pulseBpm!: number | null;

  @ApiProperty({ description: 'The monitor flagged possible atrial fibrillation.' })
  possibleAfib!: boolean;
}

export class ActivityHourDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 23, description: 'Hour of the local day.' })
  hour!: number;

  @ApiProperty({ type: 'integer' })
  steps!: number;

  @ApiProperty({ type: 'integer' })
  aerobicSteps!: number;

  @ApiProperty({ type: 'integer', description: 'kcal' })
  caloriesKcal!: number;

  @ApiProperty({ description: "Distance in the day's `distanceUnit`." })
  distanceOriginal!: number;
}

export class ActivityReadingDto extends ReadingBaseDto {
  @ApiProperty({ enum: ['activity'] })
  declare kind: 'activity';

  @ApiProperty({ type: 'integer', description: 'Steps of the local day.' })
  steps!: number;

  @ApiProperty({ type: 'integer' })
  aerobicSteps!: number;

  @ApiProperty({ type: 'integer', description: 'kcal' })
  caloriesKcal!: number;

  @ApiProperty({ description: 'Distance in kilometres.' })
  distanceKm!: number;

  @ApiProperty({ description: 'Distance as OMRON sent it, in `distanceUnit`.' })
  distanceOriginal!: number;

  @ApiProperty({ example: 'km' })
  distanceUnit!: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Steps as OMRON sent them when a fraction (`steps` is rounded); null when whole.',
  })
  stepsOriginal!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Aerobic steps as sent when a fraction; null when whole.' })
  aerobicStepsOriginal!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Calories (kcal) as sent when a fraction (`caloriesKcal` is rounded); null when whole.',
  })
  caloriesOriginal!: number | null;

  @ApiProperty({ type: [ActivityHourDto] })
  hourly!: ActivityHourDto[];
}

export class WeightReadingDto extends ReadingBaseDto {
  @ApiProperty({ enum: ['weight'] })
  declare kind: 'weight';

  @ApiProperty({ type: String, nullable: true, description: "OMRON's `idExt`." })
  upstreamIdExt!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Weight in kilograms; null where the scale did not measure it.',
    example: 72.4,
  })
  weightKg!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Weight as OMRON sent it, in `weightUnit`.' })
  weightOriginal!: number | null;

  @ApiProperty({ enum: ['kg', 'lb'] })
  weightUnit!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'Body mass index, kg/m².' })
  bmi!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Body fat, percent.' })
  bodyFatPercent!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Skeletal muscle, percent.' })
  skeletalMusclePercent!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Visceral fat level (OMRON scale, no unit).' })
  visceralFatLevel!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Resting metabolism, kcal per day.' })
  restingMetabolismKcal!: number | null;
}

export class TemperatureReadingDto extends ReadingBaseDto {
  @ApiProperty({ enum: ['temperature'] })
  declare kind: 'temperature';

  @ApiProperty({ description: 'Body temperature in degrees Celsius.', example: 36.6 })
  temperatureC!: number;

  @ApiProperty({ description: 'As OMRON sent it, in `temperatureUnit`.' })
  temperatureOriginal!: number;

  @ApiProperty({ example: '°C' })
  temperatureUnit!: string;
}

export class OxygenReadingDto extends ReadingBaseDto {
  @ApiProperty({ enum: ['oxygen'] })
  declare kind: 'oxygen';

  @ApiProperty({ description: 'SpO₂ in percent.', example: 97 })
  spo2Percent!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Pulse in beats per minute.' })
  pulseBpm!: number | null;
}

export class EcgReadingDto extends ReadingBaseDto {
  @ApiProperty({ enum: ['ecg'] })
  declare kind: 'ecg';

  @ApiProperty({ example: 'normal_sinus_rhythm' })
  classification!: string;

  @ApiProperty({ type: 'integer', description: 'Beats per minute.' })
  heartRateBpm!: number;

  @ApiProperty({ type: 'integer', description: 'Samples per second of `waveformUv`.' })
  samplingRateHz!: number;

  @ApiProperty({ description: 'Seconds.' })
  durationSeconds!: number;

  @ApiProperty({ type: [Number], description: 'Lead I samples in microvolts.' })
  waveformUv!: number[];
}

export const READING_DTOS = {
  blood_pressure: BloodPressureReadingDto,
  activity: ActivityReadingDto,
  weight: WeightReadingDto,
  temperature: TemperatureReadingDto,
  oxygen: OxygenReadingDto,
  ecg: EcgReadingDto,
} as const;

export type ReadingDto =
  BloodPressureReadingDto | ActivityReadingDto | WeightReadingDto | TemperatureReadingDto | OxygenReadingDto | EcgReadingDto;

/** `oneOf` the kinds, told apart by `kind`. */
const READING_SCHEMA = {
  oneOf: Object.values(READING_DTOS).map((dto) => ({ $ref: getSchemaPath(dto) })),
  discriminator: {
    propertyName: 'kind',
    mapping: Object.fromEntries(Object.entries(READING_DTOS).map(([kind, dto]) => [kind, getSchemaPath(dto)])),
  },
};

export class MeasurementPageDto {
  @ApiProperty({ type: 'array', items: READING_SCHEMA, description: 'Readings in order of `measuredAt` (then a stable tie-breaker).' })
  data!: ReadingDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class ChangeFeedPageDto {
  @ApiProperty({ type: 'array', items: READING_SCHEMA, description: 'Readings created or changed after `since`, in `changeSeq` order.' })
  data!: ReadingDto[];

  @ApiProperty({
    type: 'integer',
    format: 'int64',
    description: 'Ask for `since` = this next time. Equal to the `since` you sent when nothing new has been committed.',
    example: 4711,
  })
  nextSince!: number;

  @ApiProperty({ description: 'True when more changes are waiting: ask again at once rather than after your polling interval.' })
  hasMore!: boolean;
}

export class MeasurementsParams {
  @ApiProperty({ example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6' })
  @IsString()
  ogscId!: string;

  @ApiProperty({ enum: MEASUREMENT_KIND_NAMES })
  @IsIn(MEASUREMENT_KIND_NAMES)
  kind!: MeasurementKind;
}

export class MeasurementsQuery {
  @ApiPropertyOptional({
    description: 'Readings measured at or after this instant (RFC 3339 with offset).',
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsDateTime()
  from?: string;

  @ApiPropertyOptional({ description: 'Readings measured before this instant (RFC 3339 with offset).', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsDateTime()
  to?: string;

  @PageCursorQuery()
  cursor?: string;

  @PageLimitQuery(1000, 100)
  limit: number = 100;
}

export class ChangesQuery {
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    default: 0,
    description: 'Return readings whose change sequence number is greater than this: 0 the first time, then the previous `nextSince`.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(0|[1-9]\d{0,15})$/, { message: 'since must be a whole number from 0 (the previous nextSince)' })
  since: string = '0';

  @PageLimitQuery(5000, 1000)
  limit: number = 1000;

  @ApiPropertyOptional({
    type: 'string',
    description: `Only these kinds, comma-separated (${MEASUREMENT_KIND_NAMES.join(', ')}); default: all.`,
    example: 'blood_pressure,weight',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((kind) => kind.trim()) : value))
  @IsArray()
  @ArrayMaxSize(MEASUREMENT_KIND_NAMES.length)
  @IsIn(MEASUREMENT_KIND_NAMES, { each: true })
  kinds?: MeasurementKind[];

  @ApiPropertyOptional({ description: 'Only readings of participants consented in this group.', example: 'G7K2M9QX4TR1' })
  @IsOptional()
  @IsGroupId()
  groupId?: string;
}
