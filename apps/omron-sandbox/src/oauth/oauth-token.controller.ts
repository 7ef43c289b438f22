import { Controller, Get, Header, HttpCode, NotFoundException, Param, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { SandboxConfig } from '@opendsp/config';
import { RegisteredApps } from '../registered-apps/registered-apps.service.js';
import type { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import { OAuthError } from './oauth-error.js';
import { OAuthErrorFilter } from './oauth-error.filter.js';
import { SANDBOX_SCOPES } from './scopes.js';
import { SigningKeys } from './signing-keys.service.js';
import { formParam, TokenService, type TokenResponse } from './token.service.js';

/** `stg` or `prd`: the environment prefix the spec's token host uses, which also names the issuer. */
function environmentOf(request: Request): 'stg' | 'prd' {
  return request.path.startsWith('/prd/') ? 'prd' : 'stg';
}

/** RFC 6749 §2.3.1: the Basic credentials are form-urlencoded before base64. */
function decodeBasicPart(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * The spec's token host: `POST /stg/connect/token` (and `/prd/…`), revocation, the JWKS that verifies
 * id_tokens and an OpenID discovery document so standard clients configure themselves.
 */
@Controller()
@UseFilters(OAuthErrorFilter)
export class OAuthTokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly apps: RegisteredApps,
    private readonly keys: SigningKeys,
    private readonly config: SandboxConfig,
  ) {}

  @Post(['stg/connect/token', 'prd/connect/token'])
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(@Req() request: Request): Promise<TokenResponse> {
    const body = this.formBody(request);
    const app = await this.authenticateClient(request, body);
    const grantType = formParam(body, 'grant_type', true);
    if (grantType === 'authorization_code') return this.tokens.exchangeCode(app, body, this.issuer(request), environmentOf(request));
    if (grantType === 'refresh_token') return this.tokens.refresh(app, body, environmentOf(request));
    throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  @Post(['stg/connect/revocation', 'prd/connect/revocation'])
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() request: Request): Promise<{ success: true }> {
    const body = this.formBody(request);
    const app = await this.authenticateClient(request, body);
    await this.tokens.revoke(app, body, environmentOf(request));
    return { success: true };
  }

  @Get(['stg/.well-known/jwks.json', 'prd/.well-known/jwks.json', '.well-known/jwks.json'])
  jwks() {
    return this.keys.jwks();
  }

  /** The emulated Cognito user pool's keys, where Cognito publishes them: `{iss}/.well-known/jwks.json`. */
  @Get('cognito-idp/:pool/.well-known/jwks.json')
  cognitoJwks(@Param('pool') pool: string) {
    if (pool !== this.config.oauth.cognito.poolId) throw new NotFoundException('No such user pool');
    return this.keys.jwks();
  }

  @Get(['stg/.well-known/openid-configuration', 'prd/.well-known/openid-configuration'])
  discovery(@Req() request: Request) {
    const issuer = this.issuer(request);
    return {
      issuer,
      authorization_endpoint: `${this.config.http.publicUrl}/connect/authorize`,
      token_endpoint: `${issuer}/connect/token`,
      revocation_endpoint: `${issuer}/connect/revocation`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: [...SANDBOX_SCOPES],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      revocation_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: ['sub', 'email', 'email_verified', 'iss', 'aud', 'iat', 'exp', 'nonce'],
    };
  }

  private issuer(request: Request): string {
    return `${this.config.http.publicUrl}/${environmentOf(request)}`;
  }

  /** The spec demands `application/x-www-form-urlencoded`; JSON or anything else is an invalid request. */
  private formBody(request: Request): Record<string, unknown> {
    if (!request.is('application/x-www-form-urlencoded')) {
      throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const body: unknown = request.body;
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  }

  /** client_secret_post (the spec's way) or client_secret_basic (RFC 6749's must-support), never both. */
  private async authenticateClient(request: Request, body: Record<string, unknown>): Promise<RegisteredApp> {
    const header = request.headers.authorization;
    let clientId: string | undefined;
    let clientSecret: string | undefined;
    const basic = header !== undefined && /^Basic\s/i.test(header);
    if (basic) {
      if (body.client_secret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method, not two');
      const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      try {
        if (colon < 0) throw new Error('no colon');
        clientId = decodeBasicPart(decoded.slice(0, colon));
        clientSecret = decodeBasicPart(decoded.slice(colon + 1));
      } catch {
        throw new OAuthError('invalid_client', 'Malformed Basic credentials', true);
      }
      const bodyClientId = formParam(body, 'client_id');
      if (bodyClientId !== undefined && bodyClientId !== clientId) throw new OAuthError('invalid_request', 'client_id does not match');
    } else {
      clientId = formParam(body, 'client_id');
      clientSecret = formParam(body, 'client_secret');
    }
    if (!clientId || !clientSecret) throw new OAuthError('invalid_client', 'Client authentication is required', basic);
    const app = await this.apps.authenticate(clientId, clientSecret);
    if (!app) throw new OAuthError('invalid_client', 'Client authentication failed', basic);
    return app;
  }
}
