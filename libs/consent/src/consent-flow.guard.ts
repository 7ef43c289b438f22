import {
  applyDecorators,
  BadRequestException,
  createParamDecorator,
  HttpException,
  HttpStatus,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { ConsentFlow, ConsentFlowStage } from './consent-flow.entity.js';
import { ConsentFlows } from './consent-flows.service.js';
import { stepOf } from './consent-pages.helpers.js';

const FLOW_STAGES = 'opendsp:consent-flow-stages';

type FlowRequest = Request & { consentFlow?: ConsentFlow };

/** This browser has no consent flow (expired, never started, or another purpose): the error page, 400. */
export class ConsentFlowMissingException extends BadRequestException {
  constructor() {
    super('consent_error.flow_missing');
  }
}

/** The flow is at another stage (a double click, a second tab, the back button): 303 to where it stands. */
export class ConsentFlowElsewhereException extends HttpException {
  constructor(readonly location: string) {
    super('consent flow elsewhere', HttpStatus.SEE_OTHER);
  }
}

/**
 * Loads this browser's consent flow and lets the handler run only at one of the `@FlowAt` stages; otherwise
 * ConsentExceptionFilter answers (the error page, or a redirect to the flow's page). A guard runs before
 * pipes, so a form posted to a flow at another stage is never looked at.
 */
@Injectable()
export class ConsentFlowGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly flows: ConsentFlows,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const stages = this.reflector.get<ConsentFlowStage[]>(FLOW_STAGES, context.getHandler());
    const req = context.switchToHttp().getRequest<FlowRequest>();
    const flow = await this.flows.current(req);
    if (!flow || flow.purpose !== 'consent') throw new ConsentFlowMissingException();
    if (!stages.includes(flow.stage)) throw new ConsentFlowElsewhereException(stepOf(flow));
    req.consentFlow = flow;
    return true;
  }
}

/** The handler runs for a consent flow at one of `stages` (ConsentFlowGuard); `@CurrentFlow()` hands it the flow. */
export function FlowAt(...stages: ConsentFlowStage[]): MethodDecorator {
  return applyDecorators(SetMetadata(FLOW_STAGES, stages), UseGuards(ConsentFlowGuard));
}

/** The flow ConsentFlowGuard loaded for this request. */
export function flowOf(req: Request): ConsentFlow {
  const flow = (req as FlowRequest).consentFlow;
  if (!flow) throw new Error('flowOf() on a handler without @FlowAt');
  return flow;
}

export const CurrentFlow = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  flowOf(context.switchToHttp().getRequest<Request>()),
);
