import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { API_ERROR_CODES } from '../problems/api-problem.exception.js';

export class FieldProblemDto {
  @ApiProperty({
    description: 'The parameter or body field at fault, e.g. `since` or `participants[2].internalCustomerId`.',
    example: 'since',
  })
  field!: string;

  @ApiProperty({
    description: 'What is wrong with it, e.g. `isInt`, `max`, `unknown_field`, `internal_customer_id_taken`.',
    example: 'isInt',
  })
  code!: string;

  @ApiProperty({ example: 'since must be an integer number' })
  message!: string;
}

/** RFC 9457 problem details, the one shape of every error of the API. */
export class ProblemDto {
  @ApiProperty({
    description: 'A URI naming the problem type: `urn:opendsp:problem:<code>`.',
    example: 'urn:opendsp:problem:validation_failed',
  })
  type!: string;

  @ApiProperty({ example: 'The request has invalid parameters' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiPropertyOptional({ example: 'Invalid parameters: since.' })
  detail?: string;

  @ApiPropertyOptional({ description: 'The path of the request.', example: '/api/v1/changes' })
  instance?: string;

  @ApiProperty({ description: 'Stable error code to branch on.', enum: Object.keys(API_ERROR_CODES), example: 'validation_failed' })
  code!: string;

  @ApiPropertyOptional({ type: [FieldProblemDto], description: 'For `validation_failed` and conflicts: each field at fault.' })
  errors?: FieldProblemDto[];

  @ApiPropertyOptional({ description: 'Token endpoint only: the RFC 6749 error code (same as `code`).', example: 'invalid_client' })
  error?: string;

  @ApiPropertyOptional({ description: 'Token endpoint only: the RFC 6749 error description.' })
  error_description?: string;
}
