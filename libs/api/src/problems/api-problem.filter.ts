import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendProblem, toApiProblem, type ApiProblem } from './api-problem.exception.js';

/**
 * The REST API's one error filter: every failure under `/api` leaves as RFC 9457 problem details with a
 * stable code. Used on the API's controllers and, through the portal's filter, for what fails before
 * routing (unknown paths, unreadable bodies).
 */
@Catch()
export class ApiProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(this.constructor.name);
  /** What a server-side failure is logged as. */
  protected readonly failure: string = 'API request failed';

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const problem = toApiProblem(exception);
    if (problem.getStatus() >= 500) {
      this.logger.error(exception instanceof Error ? { err: exception, path: req.path } : { exception, path: req.path }, this.failure);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    this.send(res, problem, req);
  }

  /** Writes the answer: problem details here. */
  protected send(res: Response, problem: ApiProblem, req: Request): void {
    sendProblem(res, problem, req.path);
  }
}
