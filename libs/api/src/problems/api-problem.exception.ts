import { HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { InvalidRequestException } from '@opendsp/i18n';
import { validationProblems, type FieldProblem } from './validation-problems.helpers.js';

/**
 * The API's stable error codes. Clients branch on `code`; the human-readable `title` and `detail` may be
 * reworded at any time. Adding a code is fine; renaming or removing one is a breaking change.
 */
export const API_ERROR_CODES = {
  validation_failed: { status: 400, title: 'The request has invalid parameters' },
  invalid_request: { status: 400, title: 'The token request is malformed' },
  unsupported_grant_type: { status: 400, title: 'Only the client_credentials grant is supported' },
  invalid_scope: { status: 400, title: 'A requested scope is unknown or not granted to this client' },
  invalid_client: { status: 401, title: 'Client authentication failed' },
  invalid_token: { status: 401, title: 'A valid bearer token is required' },
  insufficient_scope: { status: 403, title: 'The token lacks the scope this operation needs' },
  source_not_allowed: { status: 403, title: 'This address is not allowed to use this DSP environment' },
  not_found: { status: 404, title: 'No such resource' },
  group_not_found: { status: 404, title: 'No such group' },
  participant_not_found: { status: 404, title: 'No such participant' },
  alert_not_found: { status: 404, title: 'No such alert' },
  internal_customer_id_taken: { status: 409, title: 'The internal customer ID is used by another participant of the group' },
  alert_not_open: { status: 409, title: 'The alert was already acknowledged or resolved' },
  csv_not_enabled: { status: 409, title: 'CSV is not a data transfer method of this environment' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
} as const satisfies Record<string, { status: number; title: string }>;

export type { FieldProblem };

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** An RFC 9457 problem details object, with the API's stable `code` and, for validation, the fields at fault. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: ApiErrorCode;
  errors?: FieldProblem[];
  /** Token endpoint only: the RFC 6749 error members, so standard OAuth clients understand the answer too. */
  error?: string;
  error_description?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A stable URI per code; RFC 9457 lets `type` be any URI, and a URN needs no web page to resolve. */
export function problemType(code: ApiErrorCode): string {
  return `urn:opendsp:problem:${code}`;
}

/** An error the API answers with a problem details body; everything else becomes `internal_error`. */
export class ApiProblem extends HttpException {
  constructor(
    readonly code: ApiErrorCode,
    readonly detail?: string,
    readonly extra: { errors?: FieldProblem[]; headers?: Record<string, string>; oauth?: boolean } = {},
  ) {
    super(detail ?? API_ERROR_CODES[code].title, API_ERROR_CODES[code].status);
  }

  static validation(errors: FieldProblem[]): ApiProblem {
    const fields = [...new Set(errors.map((error) => error.field))].join(', ');
    return new ApiProblem('validation_failed', `Invalid parameters: ${fields}.`, { errors });
  }

  body(instance?: string): ProblemDetails {
    return {
      type: problemType(this.code),
      title: API_ERROR_CODES[this.code].title,
      status: API_ERROR_CODES[this.code].status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      code: this.code,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      ...(this.extra.oauth ? { error: this.code, error_description: this.detail ?? API_ERROR_CODES[this.code].title } : {}),
    };
  }
}

/** Maps whatever was thrown to the API's problem: ours as they are, Nest's and Express's by status. */
export function toApiProblem(exception: unknown): ApiProblem {
  if (exception instanceof ApiProblem) return exception;
  if (exception instanceof InvalidRequestException) return ApiProblem.validation(validationProblems(exception.problems));
  // Nest wraps what Express and body-parser raise (malformed JSON, a bad %-escape, too large) in an HttpException.
  const cause = exception instanceof HttpException ? exception.cause : undefined;
  if (cause instanceof URIError) {
    return ApiProblem.validation([{ field: 'path', code: 'malformed_encoding', message: 'The path has an invalid %-escape.' }]);
  }
  // Body parser errors (malformed JSON, too large, bad charset) carry `type` and `status`.
  const parserError = (cause ?? exception) as { type?: string; status?: number } | null;
  if (parserError?.type === 'entity.too.large') return new ApiProblem('payload_too_large');
  if (parserError?.type === 'entity.parse.failed')
    return ApiProblem.validation([{ field: 'body', code: 'malformed_json', message: 'The body is not valid JSON.' }]);
  if (typeof parserError?.type === 'string' && parserError.status && parserError.status < 500) {
    return ApiProblem.validation([{ field: 'body', code: 'unreadable', message: 'The body cannot be read.' }]);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === HttpStatus.NOT_FOUND) return new ApiProblem('not_found');
    if (status === HttpStatus.PAYLOAD_TOO_LARGE) return new ApiProblem('payload_too_large');
    if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) return new ApiProblem('unsupported_media_type');
    if (status === HttpStatus.TOO_MANY_REQUESTS) return new ApiProblem('rate_limited');
    if (status === HttpStatus.UNAUTHORIZED) return new ApiProblem('invalid_token');
    if (status === HttpStatus.FORBIDDEN) return new ApiProblem('insufficient_scope');
    if (status >= 400 && status < 500) return ApiProblem.validation([{ field: 'request', code: 'invalid', message: exception.message }]);
  }
  return new ApiProblem('internal_error');
}

/** Writes a problem as the response (headers such as `Retry-After` and `WWW-Authenticate` included). */
export function sendProblem(res: Response, problem: ApiProblem, instance?: string): void {
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) res.setHeader(name, value);
  res
    .status(problem.getStatus())
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body(instance)));
}
