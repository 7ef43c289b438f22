import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageCursorQuery, PageLimitQuery } from './validators.decorators.js';

export class RedirectUrlDto {
  @ApiProperty({ example: 'https://clinic.example/welcome' })
  url!: string;

  @ApiProperty({ description: 'Participants land here after consenting unless the consent link names another registered URL.' })
  isDefault!: boolean;
}

export class GroupDto {
  @ApiProperty({ description: 'The public group ID.', example: 'G7K2M9QX4TR1' })
  groupId!: string;

  @ApiProperty({
    description: 'Shown to participants on the consent screen as the recipient of their data.',
    example: 'Blood Pressure Study',
  })
  displayName!: string;

  @ApiProperty({ example: 'Twelve weeks, two clinics.' })
  description!: string;

  @ApiProperty({ format: 'date-time', description: 'ISO 8601, UTC.', example: '2026-11-23T10:00:05.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'ISO 8601, UTC; null while the group is active.' })
  archivedAt!: string | null;

  @ApiProperty({ type: [RedirectUrlDto] })
  redirectUrls!: RedirectUrlDto[];
}

export class GroupPageDto {
  @ApiProperty({ type: [GroupDto] })
  data!: GroupDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class ListGroupsQuery {
  @PageCursorQuery()
  cursor?: string;

  @PageLimitQuery(200, 50)
  limit: number = 50;
}

export class ConsentLinkQuery {
  @ApiPropertyOptional({
    description:
      "One of the group's registered redirect URLs; default: the group's default URL (or the platform's result page when none is registered).",
    example: 'https://clinic.example/welcome',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirectUrl?: string;
}

export const QR_FORMATS = ['png', 'svg'] as const;

export class ConsentQrQuery extends ConsentLinkQuery {
  @ApiPropertyOptional({ enum: QR_FORMATS, default: 'png' })
  @IsOptional()
  @IsIn(QR_FORMATS)
  format: (typeof QR_FORMATS)[number] = 'png';
}

export class ConsentLinkDto {
  @ApiProperty({ example: 'G7K2M9QX4TR1' })
  groupId!: string;

  @ApiProperty({
    description: 'The consent link to hand to participants (DSP document, section 3).',
    example: 'https://dsp.example.com/consent/start?group_id=G7K2M9QX4TR1&redirect_url=https%3A%2F%2Fclinic.example%2Fwelcome',
  })
  url!: string;

  @ApiProperty({ description: 'Where participants land after consenting, with their OGSC ID as a query parameter.' })
  redirectUrl!: string;
}
