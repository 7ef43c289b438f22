import { applyDecorators, Controller, HttpStatus, UseFilters, UseGuards, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { SkipCsrf } from '@opendsp/admin-auth';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { ProblemDto } from '../dto/problem.dto.js';
import { ApiProblemFilter } from '../problems/api-problem.filter.js';
import { PROBLEM_CONTENT_TYPE } from '../problems/api-problem.exception.js';

export const API_PREFIX = 'api/v1';

const RATE_LIMIT_HEADERS = {
  RateLimit: {
    description: 'Requests left in the current window and seconds until it resets, e.g. `"default";r=599;t=42`.',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description: 'The client\'s quota, e.g. `"default";q=600;w=60` (600 requests per 60 s).',
    schema: { type: 'string' },
  },
} as const;

/** A problem details response of the given status, documented once for every operation that can answer it. */
export function ApiProblemResponse(
  status: number,
  description: string,
  headers?: Record<string, { description: string; schema: { type: 'string' } }>,
) {
  return ApiResponse({
    status,
    description,
    headers,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
  });
}

/**
 * A controller of the bearer-token API under /api/v1: no cookies (so no CSRF), a bearer token, rate
 * limit and scope check on every operation, strict validation, and problem details for every error.
 */
export function ApiV1Controller(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    Controller(`${API_PREFIX}/${path}`),
    SkipCsrf(),
    UseGuards(ApiAuthGuard),
    UseFilters(ApiProblemFilter),
    ApiTags(tag),
    ApiExtraModels(ProblemDto),
    ApiProblemResponse(HttpStatus.BAD_REQUEST, 'A parameter is invalid (`validation_failed`); `errors` names each field.'),
    ApiProblemResponse(HttpStatus.UNAUTHORIZED, 'No valid bearer token (`invalid_token`).'),
    ApiProblemResponse(
      HttpStatus.FORBIDDEN,
      'The token lacks the scope (`insufficient_scope`), or the address is not allowed (`source_not_allowed`).',
    ),
    ApiProblemResponse(
      HttpStatus.TOO_MANY_REQUESTS,
      'The client used up its requests for the minute (`rate_limited`); retry after `Retry-After` seconds.',
      {
        'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
      },
    ),
  ) as ClassDecorator;
}

/** An operation with a stable `operationId` (what generated clients name their methods after) and its success response. */
export function ApiOperationOk(
  operationId: string,
  summary: string,
  type: Type<unknown>,
  options: { status?: number; description?: string } = {},
) {
  return applyDecorators(
    ApiOperation({ operationId, summary, ...(options.description ? { description: options.description } : {}) }),
    ApiResponse({ status: options.status ?? HttpStatus.OK, description: 'Success.', type, headers: RATE_LIMIT_HEADERS }),
  );
}
