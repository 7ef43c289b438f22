import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import {
  ALERT_RESOLUTIONS,
  ALERT_RULES,
  ALERT_STATUSES,
  NOTE_MAX_LENGTH,
  type AlertResolution,
  type AlertRule,
  type AlertStatus,
} from '@opendsp/alerts';
import { PageCursorQuery, PageLimitQuery } from './validators.decorators.js';

const OGSC_EXAMPLE = 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6';
export const ALERT_STATE_FILTERS = [...ALERT_STATUSES, 'all'] as const;
export type AlertStateFilter = (typeof ALERT_STATE_FILTERS)[number];

export class ListAlertsQuery {
  @ApiPropertyOptional({
    enum: ALERT_STATE_FILTERS,
    default: 'open',
    description:
      '`open`: needs attention; `acknowledged`: staff left a note; `resolved`: the platform saw its cause end (a new reading after a silence, a new authorisation); `all`.',
  })
  @IsOptional()
  @IsIn(ALERT_STATE_FILTERS)
  state: AlertStateFilter = 'open';

  @ApiPropertyOptional({ enum: ALERT_RULES, description: 'Only alerts of this rule.' })
  @IsOptional()
  @IsIn(ALERT_RULES)
  rule?: AlertRule;

  @ApiPropertyOptional({ description: 'Only alerts about this participant (OGSC ID).', example: OGSC_EXAMPLE })
  @IsOptional()
  @Matches(/^OG-[0-9A-HJKMNP-TV-Z]{24}$/, { message: '$property must be an OGSC ID (OG- and 24 characters)' })
  participant?: string;

  @PageCursorQuery()
  cursor?: string;

  @PageLimitQuery(500, 100)
  limit: number = 100;
}

export class AcknowledgeAlertBody {
  @ApiProperty({
    description: `What was done about the alert (whom staff called, what they advised): 1 to ${NOTE_MAX_LENGTH} characters after trimming. Kept with the alert.`,
    maxLength: NOTE_MAX_LENGTH,
    example: 'Called the participant; re-measured 142/88.',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(NOTE_MAX_LENGTH)
  note!: string;
}

export class AlertDto {
  @ApiProperty({ description: "The alert's ID (a UUID).", example: '3f1c2a9e-6b0d-4c1e-9a57-2d8e4b7f0c13' })
  id!: string;

  @ApiProperty({ enum: ALERT_RULES })
  rule!: AlertRule;

  @ApiProperty({ enum: ALERT_STATUSES })
  state!: AlertStatus;

  @ApiProperty({ example: 'G7K2M9QX4TR1' })
  groupId!: string;

  @ApiProperty({ example: OGSC_EXAMPLE })
  ogscId!: string;

  @ApiProperty({ format: 'date-time' })
  raisedAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      "The reading's measurement time; for `no_reading`, the last reading's (when the silence began); null for `reconnect_needed`.",
  })
  measuredAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The kind of the reading the alert is about (`blood_pressure`); null for the rules not about a reading.',
  })
  readingKind!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What met the rule, as in the `alert.raised` webhook event: the values and the lines in force (`systolic_mmhg`, `systolic_at_least`, …), or the silence and the count that made it "used to measure", or the connection change.',
  })
  detail!: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  acknowledgedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Who acknowledged it: a portal login, or `api-client:<client_id>` for an API client.',
  })
  acknowledgedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  note!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the platform resolved it (state `resolved`).' })
  resolvedAt!: string | null;

  // A string rather than an enum: OpenAPI 3.0's `nullable` does not admit null into an `enum` that lacks it.
  @ApiProperty({
    type: String,
    nullable: true,
    description: `Why the platform resolved it (null unless resolved): ${ALERT_RESOLUTIONS.map((resolution) => `\`${resolution}\``).join(' or ')}. \`new_reading\`: a reading measured after the silence arrived; \`reconnected\`: the participant authorised the platform again.`,
  })
  resolution!: AlertResolution | null;

  @ApiProperty({ description: "The reading on the participant's chart in the portal (or the participant's page)." })
  portalUrl!: string;
}

export class AlertPageDto {
  @ApiProperty({ type: [AlertDto] })
  data!: AlertDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}
