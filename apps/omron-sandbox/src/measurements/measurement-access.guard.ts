import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { SandboxAccessTokens, type AuthenticatedAccess } from '../oauth/index.js';
import { ClientRateLimits } from '../rate-limits/index.js';
import { OmronApiError } from './omron-api-error.js';

export type MeasurementRequest = Request & { omronAccess?: AuthenticatedAccess };

/**
 * Admits a measurement request with a valid bearer token (401 otherwise) and within its client's rate
 * limit (429 with Retry-After otherwise), and puts the token's access on the request.
 */
@Injectable()
export class MeasurementAccessGuard implements CanActivate {
  constructor(
    private readonly tokens: SandboxAccessTokens,
    private readonly rateLimits: ClientRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<MeasurementRequest>();
    // Staging tokens do not work at /prd, nor production tokens at /stg.
    const access = await this.tokens.authenticate(request.headers.authorization, request.path.startsWith('/prd/') ? 'prd' : 'stg');
    if (!access) throw new OmronApiError('INVALID_TOKEN', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    const verdict = await this.rateLimits.consume(access.clientId);
    if (!verdict.allowed) {
      throw new OmronApiError('RATE_LIMIT_EXCEEDED', undefined, {
        'Retry-After': String(verdict.retryAfterSeconds),
        'X-RateLimit-Limit': String(verdict.limit),
        'X-RateLimit-Remaining': '0',
      });
    }
    request.omronAccess = access;
    return true;
  }
}
