import { Injectable, Logger } from '@nestjs/common';
import { DspConfig } from '@opendsp/config';
import { Clock } from './clock.js';

/** What OMRON's token endpoint hands back, normalised across the snake_case and camelCase forms it uses. */
export interface TokenSet {
  accessToken: string;
  /** Absent when OMRON keeps the refresh token as it is. */
  refreshToken?: string;
  idToken?: string;
  expiresInSeconds: number;
  /** When the request was sent: expiry counts from here, so network time never makes a token look fresher. */
  requestedAt: Date;
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

  /** Asks OMRON to revoke a token; errors are reported to the caller, which decides whether they matter. */
  async revoke(token: string, tokenTypeHint: 'access_token' | 'refresh_token'): Promise<void> {
    const response = await this.post('/connect/revocation', { token, token_type_hint: tokenTypeHint });
    if (!response.ok) throw new TransientUpstreamError(`revocation answered HTTP ${response.status}`);
  }

  private async tokenRequest(form: Record<string, string>): Promise<TokenSet> {
    const requestedAt = this.clock.now();
    const response = await this.post('/connect/token', form);
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
    if (!response.ok || error || body.success === false) {
      // invalid_client and friends are our configuration's fault, not the participant's: never end a connection for them.
      if (error === 'invalid_grant') throw new GrantRejectedError(error);
      this.logger.error(`token endpoint refused the request: HTTP ${response.status} ${error ?? 'no error code'}`);
      throw new TransientUpstreamError(`token endpoint answered HTTP ${response.status} ${error ?? ''}`.trim());
    }
    const accessToken = body.access_token;
    const expiresIn = Number(body.expires_in ?? body.expiresIn);
    if (typeof accessToken !== 'string' || !accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new TransientUpstreamError('token endpoint answered without an access token or its lifetime');
    }
    return {
      accessToken,
      refreshToken: typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined,
      idToken: typeof body.id_token === 'string' && body.id_token ? body.id_token : undefined,
      expiresInSeconds: expiresIn,
      requestedAt,
    };
  }

  private async post(path: string, form: Record<string, string>): Promise<Response> {
    const body = new URLSearchParams({ client_id: this.config.omron.clientId, client_secret: this.config.omron.clientSecret, ...form });
    try {
      return await fetch(`${this.config.omron.apiUrl}${path}`, {
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
