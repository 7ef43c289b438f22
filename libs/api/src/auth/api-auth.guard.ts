import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { ApiScope } from '../api-scopes.catalogue.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import type { ApiRequest } from './api-principal.types.js';
import { ApiRateLimiter } from './api-rate-limiter.service.js';
import { ApiTokensService } from './api-tokens.service.js';
import { REQUIRED_SCOPE } from './requires-scope.decorator.js';

/**
 * Authenticates every API operation: a valid bearer token (401 otherwise), then the client's rate limit
 * (429 with `Retry-After`), then the operation's scope (403). Failed authentications count against the
 * caller's address, so guessing tokens is slow as well as hopeless.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokensService,
    private readonly limiter: ApiRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ApiRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const header = req.get('authorization') ?? '';
    const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
    const principal = token ? await this.tokens.resolve(token) : null;
    if (!principal) {
      const decision = await this.limiter.consume(`anonymous:${req.ip}`);
      if (!decision.allowed) {
        ApiRateLimiter.setHeaders(res, decision);
        throw new ApiProblem('rate_limited', 'Too many requests without a valid token from this address.');
      }
      const challenge = token ? 'Bearer realm="opendsp", error="invalid_token"' : 'Bearer realm="opendsp"';
      throw new ApiProblem(
        'invalid_token',
        token ? 'The bearer token is unknown, expired or revoked.' : 'Send Authorization: Bearer <token>.',
        {
          headers: { 'WWW-Authenticate': challenge },
        },
      );
    }
    const decision = await this.limiter.consume(`client:${principal.id}`);
    ApiRateLimiter.setHeaders(res, decision);
    if (!decision.allowed)
      throw new ApiProblem('rate_limited', `At most ${decision.limit} requests per minute; retry after ${decision.resetSeconds} s.`);

    const scope = this.reflector.get<ApiScope | undefined>(REQUIRED_SCOPE, context.getHandler());
    if (!scope || !principal.scopes.includes(scope)) {
      throw new ApiProblem('insufficient_scope', `This operation needs the scope ${scope ?? '(none declared)'}.`, {
        headers: { 'WWW-Authenticate': `Bearer realm="opendsp", error="insufficient_scope", scope="${scope ?? ''}"` },
      });
    }
    req.apiClient = principal;
    return true;
  }
}
