import { Injectable, Logger } from '@nestjs/common';
import { DspConfig } from '@opendsp/config';
import { Clock } from './clock.service.js';

/** What OMRON's token endpoint hands back, normalised across the snake_case and camelCase forms it uses. */
export interface TokenSet {
  accessToken: string;
  /** Absent when OMRON keeps the refresh token as it is. */
  refreshToken?: string;
  idToken?: string;
  expiresInSeconds: number;
  /** When the request was sent: expiry counts from here, so network time never makes a token look fresher. */
  requestedAt: Date;
  /** The scopes OMRON says it granted (`scope` of the answer, space-delimited), when it says; the spec's example does not. */
  grantedScope?: string;
  /** Identity claims read from the verified identity token (the consent flow fills them in). */
  profile?: { customUserId?: string; email?: string };
}

/** The token endpoint answered something that is not a usable token set (an error, no token, no lifetime). */
export class TokenResponseError extends Error {
  override name = 'TokenResponseError';
  constructor(
    message: string,
    /** OMRON's `error` code, when it sent one. */
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

/**
 * Reads a token endpoint answer as a tolerant reader (Partner API spec, "Understanding the Access Token
 * Response"): `expires_in` or `expiresIn` (a number or a numeric string), `token_type` or `tokenType` (Bearer in
 * any case, or absent), `scope` when present. `success: false` or an `error` is an error, whatever the HTTP status.
 * Unknown fields are ignored. Never puts a token in an error message.
 */
export function readTokenResponse(body: Record<string, unknown>, requestedAt: Date): TokenSet {
  const errorCode = typeof body.error === 'string' && body.error ? body.error : undefined;
  if (errorCode || body.success === false || body.success === 'false') {
    throw new TokenResponseError(`token endpoint answered an error: ${errorCode ?? 'success false'}`, errorCode);
  }
  const accessToken = body.access_token ?? body.accessToken;
  const rawExpiry = body.expires_in ?? body.expiresIn;
  const expiresIn =
    typeof rawExpiry === 'number' || (typeof rawExpiry === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(rawExpiry)) ? Number(rawExpiry) : NaN;
  if (typeof accessToken !== 'string' || !accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new TokenResponseError('token endpoint answered without an access token or its lifetime');
  }
  const tokenType = body.token_type ?? body.tokenType;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw new TokenResponseError('token endpoint answered a token type other than Bearer');
  }
  const refreshToken = body.refresh_token ?? body.refreshToken;
  const idToken = body.id_token ?? body.idToken;
  const scope = typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean).join(' ') : undefined;
  return {
    accessToken,
    refreshToken: typeof refreshToken === 'string' && refreshToken ? refreshToken : undefined,
    idToken: typeof idToken === 'string' && idToken ? idToken : undefined,
    expiresInSeconds: Math.round(expiresIn),
    requestedAt,
    ...(scope ? { grantedScope: scope } : {}),
  };
}

/** OMRON refused the grant itself (`invalid_grant`): the refresh token is dead and the user must authorise again. */
export class GrantRejectedError extends Error {
  override name = 'GrantRejectedError';
  constructor(readonly errorCode: string) {
    super(`OMRON rejected the grant: ${errorCode}`);
  }
}

/** Anything worth retrying: network errors, timeouts, 5xx, 429, unreadable bodies, and our own client being refused. */
export class TransientUpstreamError extends Error {
  override name = 'TransientUpstreamError';
  constructor(
    message: string,
    /** From a Retry-After header, when OMRON sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Parses Retry-After in both of its forms: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Server-to-server calls to OMRON's token and revocation endpoints (Partner API spec, "Using the Code in
 * exchange for Tokens" and "Using your Refresh Token"). One attempt per call; retrying is the caller's
 * decision. Never logs or echoes a token.
 */
@Injectable()
export class OmronOAuthClient {
  private readonly logger = new Logger(OmronOAuthClient.name);

  constructor(
    private readonly config: DspConfig,
    private readonly clock: Clock,
  ) {}

  exchangeCode(input: { code: string; redirectUri: string; scope: string; codeVerifier?: string }): Promise<TokenSet> {
    return this.tokenRequest({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      scope: input.scope,
      ...(input.codeVerifier ? { code_verifier: input.codeVerifier } : {}),
    });
  }

  refresh(input: { refreshToken: string; redirectUri: string }): Promise<TokenSet> {
    return this.tokenRequest({ grant_type: 'refresh_token', refresh_token: input.refreshToken, redirect_uri: input.redirectUri });
  }

  /** Whether tokens can be revoked at OMRON at all: only with OMRON_REVOCATION_URL (OMRON documents no endpoint). */
  get canRevoke(): boolean {
    return this.config.omron.revocationUrl !== null;
  }

  /**
   * Asks OMRON to revoke a token at OMRON_REVOCATION_URL; without one, calls nothing and returns false. Errors are
   * reported to the caller, which decides whether they matter.
   */
  async revoke(token: string, tokenTypeHint: 'access_token' | 'refresh_token'): Promise<boolean> {
    const url = this.config.omron.revocationUrl;
    if (url === null) return false;
    const response = await this.post(url, { token, token_type_hint: tokenTypeHint });
    if (!response.ok) throw new TransientUpstreamError(`revocation answered HTTP ${response.status}`);
    return true;
  }

  private async tokenRequest(form: Record<string, string>): Promise<TokenSet> {
    const requestedAt = this.clock.now();
    const response = await this.post(`${this.config.omron.apiUrl}/connect/token`, form);
    let body: Record<string, unknown>;
    try {
      body = (await response.json()) as Record<string, unknown>;
    } catch {
      throw new TransientUpstreamError(`token endpoint answered HTTP ${response.status} with an unreadable body`);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientUpstreamError(
        `token endpoint answered HTTP ${response.status}`,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    const error = typeof body.error === 'string' ? body.error : undefined;
    if (!response.ok || error || body.success === false || body.success === 'false') {
      // invalid_client and friends are our configuration's fault, not the participant's: never end a connection for them.
      if (error === 'invalid_grant') throw new GrantRejectedError(error);
      this.logger.error(`token endpoint refused the request: HTTP ${response.status} ${error ?? 'no error code'}`);
      throw new TransientUpstreamError(`token endpoint answered HTTP ${response.status} ${error ?? ''}`.trim());
    }
    try {
      return readTokenResponse(body, requestedAt);
    } catch (problem) {
      throw new TransientUpstreamError((problem as Error).message);
    }
  }

  private async post(url: string, form: Record<string, string>): Promise<Response> {
    const body = new URLSearchParams({ client_id: this.config.omron.clientId, client_secret: this.config.omron.clientSecret, ...form });
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new TransientUpstreamError(`token endpoint unreachable: ${(error as Error).name}`);
    }
  }
}
