import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { API_ERROR_CODES, toApiProblem, type ApiProblem } from '../problems/api-problem.exception.js';

export const FHIR_JSON = 'application/fhir+json';

/** FHIR's IssueType for each HTTP status the API answers with. */
function issueType(status: number): string {
  if (status === 400) return 'invalid';
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'exception';
  return 'processing';
}

/** A problem as a FHIR OperationOutcome: one issue per field at fault, the API's stable code in `details`. */
export function operationOutcome(problem: ApiProblem): Record<string, unknown> {
  const status = problem.getStatus();
  const details = {
    coding: [{ system: 'urn:opendsp:problem', code: problem.code }],
    text: API_ERROR_CODES[problem.code].title,
  };
  const diagnostics = problem.extra.errors?.map((error) => `${error.field}: ${error.message}`) ?? [problem.detail ?? details.text];
  return {
    resourceType: 'OperationOutcome',
    issue: diagnostics.map((text) => ({ severity: 'error', code: issueType(status), details, diagnostics: text })),
  };
}

/** The FHIR endpoint's errors (its guard's too) as OperationOutcome, with the status and headers the REST API gives. */
@Catch()
export class FhirOutcomeFilter implements ExceptionFilter {
  private readonly logger = new Logger(FhirOutcomeFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const problem = toApiProblem(exception);
    if (problem.getStatus() >= 500) {
      this.logger.error(
        exception instanceof Error ? { err: exception, path: req.path } : { exception, path: req.path },
        'FHIR request failed',
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(problem.extra.headers ?? {})) res.setHeader(name, value);
    res
      .status(problem.getStatus())
      .type(FHIR_JSON)
      .send(JSON.stringify(operationOutcome(problem)));
  }
}
