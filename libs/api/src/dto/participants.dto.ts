import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { MEASUREMENT_KIND_NAMES } from '@opendsp/measurements';
import { ENROLLMENT_METHODS, ENROLLMENT_STATUSES } from '@opendsp/participants';
import { CONNECTION_STATES } from '@opendsp/tokens';
import { IsDateTime, IsGroupId, PageCursorQuery, PageLimitQuery } from './validators.decorators.js';

const OGSC_EXAMPLE = 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6';
const UTC = { format: 'date-time', description: 'ISO 8601, UTC.' } as const;
const NULLABLE_UTC = { type: String, format: 'date-time', nullable: true } as const;

export class EnrollmentDto {
  @ApiProperty({ example: 'G7K2M9QX4TR1' })
  groupId!: string;

  @ApiProperty({
    enum: ENROLLMENT_STATUSES,
    description:
      '`invited` (pre-created, not seen yet), `link_opened` (opened the consent link or signed in), `consented` (data flows), `withdrawn`.',
  })
  status!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "The partner's own ID for this person, unique within the group.",
    example: 'C-1001',
  })
  internalCustomerId!: string | null;

  @ApiProperty({ ...NULLABLE_UTC })
  invitedAt!: string | null;

  @ApiProperty({ ...NULLABLE_UTC })
  linkOpenedAt!: string | null;

  @ApiProperty({ ...NULLABLE_UTC })
  consentedAt!: string | null;

  @ApiProperty({
    type: [String],
    description: 'The OMRON data types the participant agreed to share.',
    example: ['bloodpressure', 'weight'],
  })
  consentedScopes!: string[];

  @ApiProperty({ ...NULLABLE_UTC })
  withdrawnAt!: string | null;

  @ApiProperty({ ...NULLABLE_UTC, description: 'When the first reading of this participant arrived.' })
  firstReadingAt!: string | null;

  @ApiProperty({ ...NULLABLE_UTC, description: 'When the latest reading of this participant arrived.' })
  lastReadingAt!: string | null;

  @ApiProperty({ ...UTC })
  updatedAt!: string;
}

export class ConnectionDto {
  @ApiProperty({
    enum: CONNECTION_STATES,
    description:
      '`active` (data can flow), `refreshing` (OMRON unreachable, retrying), `reconnect_needed` (the participant must sign in to OMRON again), `revoked`, `withdrawn`.',
  })
  state!: string;

  @ApiProperty({ ...UTC })
  stateChangedAt!: string;

  @ApiProperty({ type: String, nullable: true, description: "Why the connection is in its state (e.g. OMRON's error code)." })
  stateReason!: string | null;

  @ApiProperty({ type: [String], description: 'OMRON scopes granted.' })
  scopes!: string[];
}

export class SyncLedgerEntryDto {
  @ApiProperty({ enum: MEASUREMENT_KIND_NAMES })
  kind!: string;

  @ApiProperty({ ...NULLABLE_UTC })
  lastNotificationAt!: string | null;

  @ApiProperty({ ...NULLABLE_UTC })
  lastSuccessfulPullAt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Where the next pull from OMRON starts.' })
  cursor!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ ...NULLABLE_UTC })
  lastErrorAt!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Seconds since the oldest sync request (notification, reconciliation, sync now) that no successful pull has served yet; null when up to date.',
  })
  lagSeconds!: number | null;
}

@ApiExtraModels(ConnectionDto)
export class ParticipantDto {
  @ApiProperty({ description: 'The OGSC ID: the key of this person in every API, export and portal page.', example: OGSC_EXAMPLE })
  ogscId!: string;

  @ApiProperty({ enum: ENROLLMENT_METHODS })
  enrollmentMethod!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Pre-created accounts: the login ID handed to the person.' })
  loginId!: string | null;

  @ApiProperty({ ...UTC })
  createdAt!: string;

  @ApiProperty({
    ...UTC,
    description: 'ISO 8601, UTC: the latest change of the participant, their enrollments you can see, or their connection.',
  })
  updatedAt!: string;

  @ApiProperty({ type: [EnrollmentDto], description: 'Enrollments in the groups this client may see.' })
  enrollments!: EnrollmentDto[];

  @ApiProperty({
    // OpenAPI 3.0 cannot make a $ref nullable (`nullable` does not reach into allOf): a union with null is the correct form.
    oneOf: [{ $ref: getSchemaPath(ConnectionDto) }, { type: 'object', nullable: true, enum: [null] }],
    description: 'The OMRON connection; null until the person connected their OMRON account.',
  })
  connection!: ConnectionDto | null;
}

export class ParticipantDetailDto extends ParticipantDto {
  @ApiProperty({ type: [SyncLedgerEntryDto], description: 'Where the sync of each kind of reading stands.' })
  syncLedger!: SyncLedgerEntryDto[];
}

export class ParticipantPageDto {
  @ApiProperty({ type: [ParticipantDto] })
  data!: ParticipantDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class ListParticipantsQuery {
  @ApiPropertyOptional({ description: 'Only participants enrolled in this group.', example: 'G7K2M9QX4TR1' })
  @IsOptional()
  @IsGroupId()
  groupId?: string;

  @ApiPropertyOptional({
    enum: ENROLLMENT_STATUSES,
    description: 'Only participants with an enrollment (in `groupId`, if given) in this status.',
  })
  @IsOptional()
  @IsIn(ENROLLMENT_STATUSES)
  status?: string;

  @ApiPropertyOptional({
    description: 'Only participants whose `updatedAt` is at or after this instant (RFC 3339 with offset).',
    example: '2026-11-23T00:00:00Z',
  })
  @IsOptional()
  @IsDateTime()
  updatedSince?: string;

  @PageCursorQuery()
  cursor?: string;

  @PageLimitQuery(500, 100)
  limit: number = 100;
}

const INTERNAL_CUSTOMER_ID = /^[\x21-\x7E](?:[\x20-\x7E]{0,98}[\x21-\x7E])?$/;
const INTERNAL_CUSTOMER_ID_MESSAGE = '$property must be 1-100 printable ASCII characters without leading or trailing spaces';

export class UpdateEnrollmentBody {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The new internal customer ID; null removes it. Unique within the group.',
    example: 'C-1001',
  })
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @Matches(INTERNAL_CUSTOMER_ID, { message: INTERNAL_CUSTOMER_ID_MESSAGE })
  internalCustomerId!: string | null;
}

export class CreateParticipantRow {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "The partner's ID for this person in the group (unique within the group).",
    example: 'C-1002',
  })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @Matches(INTERNAL_CUSTOMER_ID, { message: INTERNAL_CUSTOMER_ID_MESSAGE })
  internalCustomerId?: string | null;
}

export class CreateParticipantsBody {
  @ApiProperty({
    type: [CreateParticipantRow],
    minItems: 1,
    maxItems: 100,
    description: 'One entry per participant to pre-create (at most 100 per request).',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CreateParticipantRow)
  participants!: CreateParticipantRow[];
}

export class CreatedParticipantDto {
  @ApiProperty({ example: OGSC_EXAMPLE })
  ogscId!: string;

  @ApiProperty({ description: 'The login ID to hand to the person.', example: 'p-7k2m9qx4tr' })
  loginId!: string;

  @ApiProperty({
    description: 'The one-time password: shown in this response only, never again. The person must change it at first sign-in.',
  })
  password!: string;

  @ApiProperty({ type: String, nullable: true, example: 'C-1002' })
  internalCustomerId!: string | null;
}

export class CreatedParticipantsDto {
  @ApiProperty({ example: 'G7K2M9QX4TR1' })
  groupId!: string;

  @ApiProperty({ type: [CreatedParticipantDto] })
  participants!: CreatedParticipantDto[];
}

export class DeviceDto {
  @ApiProperty({ description: "OMRON's device type (model) as it appears in the participant's readings.", example: 'OMRON HEM-7600T' })
  deviceType!: string;

  @ApiProperty({ ...UTC, description: 'First reading from this device type (ISO 8601, UTC).' })
  firstSeenAt!: string;

  @ApiProperty({ ...UTC, description: 'Latest reading from this device type (ISO 8601, UTC).' })
  lastSeenAt!: string;
}

export class DeviceListDto {
  @ApiProperty({ example: OGSC_EXAMPLE })
  ogscId!: string;

  @ApiProperty({ type: [DeviceDto] })
  data!: DeviceDto[];
}
