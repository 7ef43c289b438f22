import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { API_ERROR_CODES, type ApiProblem } from '../problems/api-problem.exception.js';
import { ApiProblemFilter } from '../problems/api-problem.filter.js';

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
export class FhirOutcomeFilter extends ApiProblemFilter {
  protected override readonly failure = 'FHIR request failed';

  protected override send(res: Response, problem: ApiProblem): void {
    for (const [name, value] of Object.entries(problem.extra.headers ?? {})) res.setHeader(name, value);
    res
      .status(problem.getStatus())
      .type(FHIR_JSON)
      .send(JSON.stringify(operationOutcome(problem)));
  }
}
