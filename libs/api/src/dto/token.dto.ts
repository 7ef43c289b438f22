import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The client-credentials token request (RFC 6749 section 4.4), form-encoded. */
export class TokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  grant_type!: string;

  @ApiPropertyOptional({
    description: 'Space-delimited scopes; default: every scope of the client.',
    example: 'participants:read measurements:read',
  })
  scope?: string;

  @ApiPropertyOptional({ description: 'With `client_secret`, instead of HTTP Basic authentication.', example: 'dspc_7K2M9QX4TR1B5ZW8HD3N' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'With `client_id`, instead of HTTP Basic authentication.' })
  client_secret?: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <access_token>`.', example: 'dspt_3q2-…' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type!: string;

  @ApiProperty({ type: 'integer', description: 'Seconds until the token expires; then request a new one.', example: 900 })
  expires_in!: number;

  @ApiProperty({ description: 'The scopes granted, space-delimited.', example: 'participants:read measurements:read' })
  scope!: string;
}
