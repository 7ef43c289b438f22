import { Body, Controller, Headers, HttpCode, HttpStatus, Ip, Post, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SkipCsrf } from '@opendsp/admin-auth';
import { isApiScope, parseScopes, type ApiScope } from '../api-scopes.catalogue.js';
import { ApiRateLimiter } from '../auth/api-rate-limiter.service.js';
import { ApiTokensService } from '../auth/api-tokens.service.js';
import { ProblemDto } from '../dto/problem.dto.js';
import { TokenRequestDto, TokenResponseDto } from '../dto/token.dto.js';
import { ApiProblemFilter } from '../problems/api-problem.filter.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { API_PREFIX, ApiProblemResponse } from './api-docs.decorators.js';

/** `client_id:client_secret` from HTTP Basic (each form-urlencoded first, RFC 6749 section 2.3.1). */
function basicCredentials(header: string | undefined): { clientId: string; secret: string } | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unescape = (value: string) => {
    try {
      return decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return value;
    }
  };
  return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

const oauthProblem = (code: 'invalid_request' | 'unsupported_grant_type' | 'invalid_scope' | 'invalid_client', detail: string) =>
  new ApiProblem(code, detail, {
    oauth: true,
    ...(code === 'invalid_client' ? { headers: { 'WWW-Authenticate': 'Basic realm="opendsp"' } } : {}),
  });

/**
 * The OAuth 2.0 token endpoint (client-credentials grant only). Clients authenticate with HTTP Basic or
 * `client_id`/`client_secret` in the form; requests count against the caller's address so secrets cannot
 * be tried at speed. Errors carry RFC 6749's `error` alongside the problem details.
 */
@Controller(`${API_PREFIX}/oauth`)
@SkipCsrf()
@UseFilters(ApiProblemFilter)
@ApiTags('Authentication')
@ApiExtraModels(ProblemDto)
export class OAuthTokenController {
  constructor(
    private readonly tokens: ApiTokensService,
    private readonly limiter: ApiRateLimiter,
  ) {}

  @Post('token')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'createToken',
    summary: 'Get a bearer token (OAuth 2.0 client-credentials grant)',
    description:
      'Authenticate with HTTP Basic (`client_id:client_secret`) or with `client_id` and `client_secret` in the form. The token is short-lived: request a new one when it expires.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: TokenRequestDto })
  @ApiResponse({ status: HttpStatus.OK, description: 'A bearer token.', type: TokenResponseDto })
  @ApiProblemResponse(HttpStatus.BAD_REQUEST, '`invalid_request`, `unsupported_grant_type` or `invalid_scope`.')
  @ApiProblemResponse(HttpStatus.UNAUTHORIZED, 'Unknown client, wrong secret, or a disabled client (`invalid_client`).')
  @ApiProblemResponse(HttpStatus.TOO_MANY_REQUESTS, 'Too many token requests from this address (`rate_limited`).')
  async token(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Ip() ip: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenResponseDto> {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const decision = await this.limiter.consume(`token:${ip}`);
    ApiRateLimiter.setHeaders(res, decision);
    if (!decision.allowed) throw new ApiProblem('rate_limited', `Too many token requests; retry after ${decision.resetSeconds} s.`);

    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const field = (name: string): string | undefined => {
      const value = form[name];
      if (value === undefined) return undefined;
      if (typeof value !== 'string') throw oauthProblem('invalid_request', `${name} must be given once, as a string.`);
      return value;
    };
    const grantType = field('grant_type');
    if (!grantType) throw oauthProblem('invalid_request', 'grant_type is required.');
    if (grantType !== 'client_credentials')
      throw oauthProblem('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');

    const basic = basicCredentials(authorization);
    const posted = field('client_id') !== undefined || field('client_secret') !== undefined;
    if (basic && posted)
      throw oauthProblem('invalid_request', 'Authenticate with HTTP Basic or with client_id/client_secret in the form, not both.');
    const clientId = basic?.clientId ?? field('client_id');
    const secret = basic?.secret ?? field('client_secret');
    const client = clientId && secret ? await this.tokens.authenticate(clientId, secret) : null;
    if (!client) throw oauthProblem('invalid_client', 'Client authentication failed.');

    const granted = parseScopes(client.scopes);
    const requestedText = field('scope');
    let scopes: ApiScope[] = granted;
    if (requestedText !== undefined) {
      const requested = requestedText.split(' ').filter(Boolean);
      const refused = requested.filter((scope) => !isApiScope(scope) || !granted.includes(scope));
      if (refused.length || requested.length === 0) {
        throw oauthProblem('invalid_scope', `Scopes not granted to this client: ${refused.join(' ') || '(none requested)'}.`);
      }
      scopes = requested as ApiScope[];
    }
    const issued = await this.tokens.issue(client, scopes);
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
  }
}
