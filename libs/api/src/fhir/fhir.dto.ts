import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageLimit } from '../dto/validators.decorators.js';

/** FHIR's `_format` values that mean JSON: the only format served. */
const FHIR_JSON_FORMATS = ['json', 'application/json', 'application/fhir+json'];

export class ObservationSearchQuery {
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string' },
    description:
      "FHIR date search on the reading's instant, repeatable (all must hold): a prefix `eq` (default), `ne`, `gt`, `lt`, `ge`, `le`, `sa` or `eb` " +
      'and a date (`2026`, `2026-11`, `2026-11-23`: UTC calendar periods) or a dateTime with its offset (`2026-11-23T19:00:00+09:00`).',
    example: ['ge2026-11-01', 'lt2026-12-01'],
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  date: string[] = [];

  @ApiPropertyOptional({
    description: 'LOINC codes, or `system|code`, separated by commas (any of them). See the mapping table in docs/api.md.',
    example: '85354-9,http://loinc.org|29463-7',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  code?: string;

  @ApiPropertyOptional({ name: '_count', type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Observations per page.' })
  @IsOptional()
  @PageLimit(1000)
  _count: number = 100;

  @ApiPropertyOptional({
    name: '_format',
    enum: FHIR_JSON_FORMATS,
    description: 'Accepted for FHIR clients that send it; the answer is always JSON.',
  })
  @IsOptional()
  @IsIn(FHIR_JSON_FORMATS)
  _format?: string;

  @ApiPropertyOptional({ name: '_cursor', description: 'Opaque; the `next` link carries it.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  _cursor?: string;
}

export class FhirCodingDto {
  @ApiProperty({ example: 'http://loinc.org' })
  system!: string;

  @ApiProperty({ example: '85354-9' })
  code!: string;

  @ApiPropertyOptional({ example: 'Blood pressure panel with all children optional' })
  display?: string;
}

export class FhirCodeableConceptDto {
  @ApiProperty({ type: [FhirCodingDto] })
  coding!: FhirCodingDto[];

  @ApiPropertyOptional()
  text?: string;
}

export class FhirQuantityDto {
  @ApiProperty({ example: 128 })
  value!: number;

  @ApiProperty({ example: 'mmHg' })
  unit!: string;

  @ApiProperty({ example: 'http://unitsofmeasure.org' })
  system!: string;

  @ApiProperty({ description: 'UCUM code.', example: 'mm[Hg]' })
  code!: string;
}

export class FhirObservationComponentDto {
  @ApiProperty({ type: FhirCodeableConceptDto })
  code!: FhirCodeableConceptDto;

  @ApiPropertyOptional({ type: FhirQuantityDto })
  valueQuantity?: FhirQuantityDto;

  @ApiPropertyOptional({ type: FhirCodeableConceptDto, description: 'Instead of a value: why there is none.' })
  dataAbsentReason?: FhirCodeableConceptDto;
}

/** The elements of a FHIR R4 Observation this API writes; the FHIR specification is the reference. */
export class FhirObservationDto {
  @ApiProperty({ enum: ['Observation'] })
  resourceType!: 'Observation';

  @ApiProperty({ description: '`{ogscId}-{type}-{upstreamId}`', example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6-bp-3127001' })
  id!: string;

  @ApiProperty({
    description: '`lastUpdated` and the base profile of FHIR R4 it follows (`profile`).',
    type: 'object',
    additionalProperties: true,
  })
  meta!: Record<string, unknown>;

  @ApiPropertyOptional({
    description: "Blood pressure only: OMRON's possible-AFib flag, `url` `urn:opendsp:fhir:extension:omron-possible-afib`, `valueBoolean`.",
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  extension?: Record<string, unknown>[];

  @ApiProperty({ enum: ['final'] })
  status!: 'final';

  @ApiProperty({ type: [FhirCodeableConceptDto], description: '`vital-signs`, or `activity` for steps.' })
  category!: FhirCodeableConceptDto[];

  @ApiProperty({ type: FhirCodeableConceptDto })
  code!: FhirCodeableConceptDto;

  @ApiProperty({
    description: 'The participant: `{ "type": "Patient", "identifier": { "system": "urn:opendsp:ogsc-id", "value": <OGSC ID> } }`.',
    type: 'object',
    additionalProperties: true,
  })
  subject!: Record<string, unknown>;

  @ApiProperty({ description: "The participant's local time with its own UTC offset.", example: '2026-11-23T19:00:05+09:00' })
  effectiveDateTime!: string;

  @ApiPropertyOptional({ type: FhirQuantityDto })
  valueQuantity?: FhirQuantityDto;

  @ApiProperty({ description: '`{ "display": <OMRON\'s device type> }`.', type: 'object', additionalProperties: true })
  device!: Record<string, unknown>;

  @ApiPropertyOptional({ type: [FhirObservationComponentDto], description: 'Blood pressure: systolic (8480-6) and diastolic (8462-4).' })
  component?: FhirObservationComponentDto[];
}

export class FhirBundleLinkDto {
  @ApiProperty({ enum: ['self', 'next'] })
  relation!: string;

  @ApiProperty({ format: 'uri' })
  url!: string;
}

export class FhirBundleEntryDto {
  @ApiProperty({ format: 'uri', description: "The Observation's own URL (`readObservation`)." })
  fullUrl!: string;

  @ApiProperty({ type: FhirObservationDto })
  resource!: FhirObservationDto;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { mode: 'match' } })
  search!: Record<string, unknown>;
}

/** A FHIR R4 `searchset` Bundle. */
export class FhirBundleDto {
  @ApiProperty({ enum: ['Bundle'] })
  resourceType!: 'Bundle';

  @ApiProperty({ enum: ['searchset'] })
  type!: 'searchset';

  @ApiProperty({ type: [FhirBundleLinkDto], description: '`self`, and `next` while more pages follow.' })
  link!: FhirBundleLinkDto[];

  @ApiPropertyOptional({ type: [FhirBundleEntryDto], description: 'Absent when nothing matches.' })
  entry?: FhirBundleEntryDto[];
}

export class FhirOperationOutcomeIssueDto {
  @ApiProperty({ enum: ['error'] })
  severity!: string;

  @ApiProperty({
    description: 'FHIR IssueType: `invalid`, `login`, `forbidden`, `not-found`, `throttled`, `exception`…',
    example: 'invalid',
  })
  code!: string;

  @ApiProperty({
    type: FhirCodeableConceptDto,
    description: "The API's stable error code (`system` `urn:opendsp:problem`, e.g. `participant_not_found`) and its title.",
  })
  details!: FhirCodeableConceptDto;

  @ApiPropertyOptional({ example: 'date: date must be [prefix]YYYY[-MM[-DD…' })
  diagnostics?: string;
}

/** FHIR R4 OperationOutcome: the FHIR endpoint's errors. */
export class FhirOperationOutcomeDto {
  @ApiProperty({ enum: ['OperationOutcome'] })
  resourceType!: 'OperationOutcome';

  @ApiProperty({ type: [FhirOperationOutcomeIssueDto] })
  issue!: FhirOperationOutcomeIssueDto[];
}
