import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { DspConfig } from '@opendsp/config';
import type { TokenSet } from '@opendsp/tokens';

/** Which check an identity token failed; the log line names it (never the token). */
export type IdentityCheck = 'no_identity_token' | 'malformed' | 'signature' | 'issuer' | 'audience' | 'expiry' | 'token_use' | 'claim';

/** No token of the answer carries a verifiable identity. */
export class IdTokenRejectedError extends Error {
  override name = 'IdTokenRejectedError';
  constructor(
    readonly check: IdentityCheck,
    detail: string,
  ) {
    super(`${check} check failed: ${detail}`);
  }
}

/** Who signed in at OMRON, read from a verified identity token. */
export interface OmronIdentity {
  /** The OMRON user ID (the OMRON_USER_ID_CLAIM claim, `sub` by default). */
  userId: string;
  /** Cognito's `custom:userId`, when the token carries it (notifications may name the user by it). */
  customUserId?: string;
  email?: string;
  /** Which token carried the identity. */
  source: 'id_token' | 'access_token';
}

const TOKEN_USES = ['id', 'access'];

/**
 * Finds who signed in from OMRON's token answer. The Partner API spec's prose promises an `id_token`, but its
 * example answer has none: its `access_token` is itself a Cognito ID token. So the `id_token` is read when
 * present, otherwise the access token when it is a JWT (an opaque access token carries no identity).
 *
 * Checks, with jose: RS256 signature by a key of OMRON_JWKS_URL (fetched and cached by jose), `iss` =
 * OMRON_ID_TOKEN_ISSUER, `aud` (or a Cognito access token's `client_id`) among OMRON_ID_TOKEN_AUDIENCE, `exp`
 * with TOKEN_CLOCK_SKEW_SECONDS, `token_use` (Cognito) `id` or `access` when present, and the user ID claim.
 */
@Injectable()
export class IdTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: DspConfig) {
    this.keys = createRemoteJWKSet(new URL(config.omron.jwksUrl), { timeoutDuration: 10_000 });
  }

  /** The identity of a token answer; throws IdTokenRejectedError naming the failed check. */
  async identify(tokens: Pick<TokenSet, 'idToken' | 'accessToken'>): Promise<OmronIdentity> {
    if (tokens.idToken) return this.verify(tokens.idToken, 'id_token');
    if (looksLikeJws(tokens.accessToken)) return this.verify(tokens.accessToken, 'access_token');
    throw new IdTokenRejectedError('no_identity_token', 'OMRON sent no id_token and its access token is not a JWT');
  }

  private async verify(token: string, source: OmronIdentity['source']): Promise<OmronIdentity> {
    const { omron, tokens } = this.config;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: omron.idTokenIssuer,
        algorithms: ['RS256'],
        clockTolerance: tokens.clockSkewSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw new IdTokenRejectedError(checkOf(error), `${source}: ${(error as Error).message}`);
    }
    // Cognito ID tokens name the app client in `aud`; Cognito access tokens have no `aud` but a `client_id`.
    const audiences = [...[payload.aud ?? []].flat(), ...(typeof payload.client_id === 'string' ? [payload.client_id] : [])];
    if (!audiences.some((audience) => omron.idTokenAudiences.includes(audience))) {
      throw new IdTokenRejectedError('audience', `${source}: aud/client_id is not one of OMRON_ID_TOKEN_AUDIENCE`);
    }
    if (payload.token_use !== undefined && !TOKEN_USES.includes(String(payload.token_use))) {
      throw new IdTokenRejectedError('token_use', `${source}: token_use must be id or access`);
    }
    const userId = payload[omron.userIdClaim];
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > 200) {
      throw new IdTokenRejectedError('claim', `${source}: no usable ${omron.userIdClaim} claim`);
    }
    const customUserId = shortString(payload['custom:userId']);
    const email = shortString(payload.email);
    return { userId, source, ...(customUserId ? { customUserId } : {}), ...(email ? { email } : {}) };
  }
}

function looksLikeJws(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

function checkOf(error: unknown): IdentityCheck {
  if (error instanceof errors.JWTExpired) return 'expiry';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'aud') return 'audience';
    if (error.claim === 'exp' || error.claim === 'nbf' || error.claim === 'iat') return 'expiry';
    return 'claim';
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return 'signature';
  }
  return error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid ? 'malformed' : 'signature';
}

function shortString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 320 ? value : undefined;
}
