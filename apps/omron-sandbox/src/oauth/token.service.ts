import { Injectable, Logger } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { SandboxConfig } from '@opendsp/config';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import type { SandboxUser } from '../users/sandbox-user.entity.js';
import { AuthorizationCode } from './authorization-code.entity.js';
import { s256 } from './authorization.service.js';
import { OAuthError, type OAuthErrorCode } from './oauth-error.js';
import { OAuthGrant, type SandboxEnvironmentPrefix } from './oauth-grant.entity.js';
import { OAuthToken } from './oauth-token.entity.js';
import { parseScopeParam } from './scopes.js';
import { newOpaqueToken, tokenDigest } from './secrets.js';
import { SigningKeys } from './signing-keys.service.js';
import { SandboxClock } from '../clock/sandbox-clock.js';

/**
 * The token endpoint's success body. Profile `oidc`: the spec's fields in snake_case and the camelCase of its
 * examples, plus an `id_token`. Profile `spec-example`: exactly the example's fields (`success`, `access_token`,
 * `refresh_token`, `expiresIn`, `tokenType`), the access token being a Cognito-style ID token.
 */
export type TokenResponse =
  | {
      success: true;
      access_token: string;
      refresh_token?: string;
      id_token?: string;
      expires_in: number;
      token_type: 'Bearer';
      expiresIn: number;
      tokenType: 'Bearer';
    }
  | { success: true; access_token: string; refresh_token?: string; expiresIn: number; tokenType: 'Bearer' };

type Params = Record<string, unknown>;
type Refusal = { refused: OAuthErrorCode; description: string };

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** A required or optional single-valued form parameter (RFC 6749 §3.2: never repeated). */
export function formParam(params: Params, name: string, required: true): string;
export function formParam(params: Params, name: string, required?: false): string | undefined;
export function formParam(params: Params, name: string, required = false): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') {
    if (required) throw new OAuthError('invalid_request', `${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be given once`);
  if (value.length > 4096) throw new OAuthError('invalid_request', `${name} is too long`);
  return value;
}

/** The token endpoint's grants and the revocation endpoint. */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly config: SandboxConfig,
    private readonly keys: SigningKeys,
    private readonly clock: SandboxClock,
  ) {}

  /** `grant_type=authorization_code` (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6). */
  async exchangeCode(
    app: RegisteredApp,
    params: Params,
    issuer: string,
    environment: SandboxEnvironmentPrefix = 'stg',
  ): Promise<TokenResponse> {
    const code = formParam(params, 'code', true);
    const redirectUri = formParam(params, 'redirect_uri', true);
    const verifier = formParam(params, 'code_verifier');
    const scope = formParam(params, 'scope');
    const outcome = await this.em
      .fork()
      .transactional(async (em): Promise<Refusal | { grant: OAuthGrant; nonce: string | null; issued: Issued }> => {
        // Locked, so two exchanges of one code cannot both see it unused.
        const row = await em.findOne(
          AuthorizationCode,
          { codeHash: tokenDigest(code) },
          { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['user', 'app', 'grant'] },
        );
        if (!row || row.app.clientId !== app.clientId)
          return { refused: 'invalid_grant', description: 'The authorization code is invalid' };
        if (row.consumedAt) {
          // A code presented twice may have been stolen: whatever the first exchange issued stops working (RFC 6749 §4.1.2).
          if (row.grant) await revokeFamily(em, row.grant);
          this.logger.warn(`authorization code for ${app.clientId} presented again; its tokens are revoked`);
          return { refused: 'invalid_grant', description: 'The authorization code has already been used' };
        }
        if (row.expiresAt.getTime() <= this.clock.now().getTime())
          return { refused: 'invalid_grant', description: 'The authorization code has expired' };
        if (row.redirectUri !== redirectUri) {
          return { refused: 'invalid_grant', description: 'redirect_uri does not match the authorization request' };
        }
        if (row.codeChallenge !== null) {
          if (!verifier) return { refused: 'invalid_grant', description: 'code_verifier is required' };
          if (!VERIFIER.test(verifier) || s256(verifier) !== row.codeChallenge) {
            return { refused: 'invalid_grant', description: 'code_verifier does not match the code_challenge' };
          }
        } else if (verifier) {
          return { refused: 'invalid_grant', description: 'code_verifier given, but the authorization request had no code_challenge' };
        }
        const notGranted = parseScopeParam(scope).filter((name) => !row.scopes.includes(name));
        if (notGranted.length > 0) return { refused: 'invalid_scope', description: `scope was not granted: ${notGranted.join(' ')}` };

        const grant = new OAuthGrant(row.user, row.app, [...row.scopes]);
        grant.redirectUri = row.redirectUri;
        grant.environment = environment;
        row.consumedAt = new Date();
        row.grant = grant;
        em.persist(grant);
        return { grant, nonce: row.nonce, issued: await this.issueTokens(em, grant) };
      });
    if ('refused' in outcome) throw new OAuthError(outcome.refused, outcome.description);
    const { grant, issued } = outcome;
    this.logger.log(`issued tokens to ${app.clientId} for user ${grant.user.id}`);
    const idToken =
      this.config.oauth.tokenProfile === 'oidc' && grant.scopes.includes('openid')
        ? await this.idToken(grant.user, app.clientId, issuer, outcome.nonce)
        : undefined;
    return this.response(issued.accessToken, issued.refreshToken, idToken);
  }

  /** `grant_type=refresh_token` (RFC 6749 §6) with the configured rotation and reuse detection. */
  async refresh(app: RegisteredApp, params: Params, environment: SandboxEnvironmentPrefix = 'stg'): Promise<TokenResponse> {
    const presented = formParam(params, 'refresh_token', true);
    const redirectUri = formParam(params, 'redirect_uri');
    const scope = formParam(params, 'scope');
    const { refreshRotation, refreshReuseDetection } = this.config.oauth;
    const outcome = await this.em.fork().transactional(async (em): Promise<Refusal | Issued> => {
      // Locked, so of two concurrent refreshes with one token only the first counts; the second is reuse.
      const row = await em.findOne(
        OAuthToken,
        { tokenHash: tokenDigest(presented), kind: 'refresh' },
        { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['grant.app', 'grant.user'] },
      );
      // Staging and production are separate token hosts: a token of one is unknown to the other.
      if (!row || row.grant.app.clientId !== app.clientId || row.grant.environment !== environment) {
        return { refused: 'invalid_grant', description: 'The refresh token is invalid' };
      }
      if (row.revokedAt || row.grant.revokedAt) return { refused: 'invalid_grant', description: 'The refresh token has been revoked' };
      if (row.usedAt) {
        if (refreshReuseDetection) {
          await revokeFamily(em, row.grant);
          this.logger.warn(`refresh token reuse by ${app.clientId} for user ${row.grant.user.id}; token family revoked`);
          return { refused: 'invalid_grant', description: 'The refresh token was already used; its token family has been revoked' };
        }
        return { refused: 'invalid_grant', description: 'The refresh token was already used' };
      }
      if (redirectUri !== undefined && row.grant.redirectUri !== null && redirectUri !== row.grant.redirectUri) {
        return { refused: 'invalid_grant', description: 'redirect_uri does not match the authorization request' };
      }
      const notGranted = parseScopeParam(scope).filter((name) => !row.grant.scopes.includes(name));
      if (notGranted.length > 0) return { refused: 'invalid_scope', description: `scope was not granted: ${notGranted.join(' ')}` };
      if (refreshRotation === 'rotate') {
        row.usedAt = new Date();
        return this.issueTokens(em, row.grant);
      }
      // `keep` repeats the refresh token; `omit` leaves it out of the response, and the client keeps its own.
      return { accessToken: await this.issueAccessToken(em, row.grant), refreshToken: refreshRotation === 'keep' ? presented : undefined };
    });
    if ('refused' in outcome) throw new OAuthError(outcome.refused, outcome.description);
    return this.response(outcome.accessToken, outcome.refreshToken);
  }

  /**
   * RFC 7009: revokes the token's whole family when it belongs to this client. Unknown tokens and
   * other clients' tokens are answered the same way, so revocation reveals nothing.
   */
  async revoke(app: RegisteredApp, params: Params, environment: SandboxEnvironmentPrefix = 'stg'): Promise<void> {
    const token = formParam(params, 'token', true);
    formParam(params, 'token_type_hint');
    await this.em.fork().transactional(async (em) => {
      const row = await em.findOne(OAuthToken, { tokenHash: tokenDigest(token) }, { populate: ['grant.app'] });
      if (!row || row.grant.app.clientId !== app.clientId || row.grant.environment !== environment || row.grant.revokedAt) return;
      await revokeFamily(em, row.grant);
      this.logger.log(`${app.clientId} revoked a token family`);
    });
  }

  private async issueTokens(em: EntityManager, grant: OAuthGrant): Promise<Issued> {
    const accessToken = await this.issueAccessToken(em, grant);
    if (!grant.scopes.includes('offline_access')) return { accessToken };
    const refreshToken = newOpaqueToken();
    em.persist(new OAuthToken(tokenDigest(refreshToken), 'refresh', grant, null));
    return { accessToken, refreshToken };
  }

  /** Only the token's digest is stored, whatever its form: the measurement API finds it by that digest. */
  private async issueAccessToken(em: EntityManager, grant: OAuthGrant): Promise<string> {
    const expiresAt = new Date(this.clock.now().getTime() + this.config.oauth.accessTokenTtlSeconds * 1000);
    const accessToken = this.config.oauth.tokenProfile === 'spec-example' ? await this.cognitoIdToken(grant, expiresAt) : newOpaqueToken();
    em.persist(new OAuthToken(tokenDigest(accessToken), 'access', grant, expiresAt));
    return accessToken;
  }

  /**
   * The spec example's access token: a Cognito user pool's ID token with the example's claim set (`sub`,
   * `email_verified`, `iss` the pool URL, `cognito:username`, `custom:userId`, `origin_jti`, `aud` a Cognito app
   * client that is not the partner's client ID, `event_id`, `token_use: "id"`, `auth_time`, `custom:appName`,
   * `exp`, `iat`, `jti`, `email`), RS256 with the key of the sandbox's JWKS.
   */
  private async cognitoIdToken(grant: OAuthGrant, expiresAt: Date): Promise<string> {
    const { kid, privateKey } = await this.keys.current();
    const { cognito } = this.config.oauth;
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({
      sub: grant.user.sub,
      email_verified: true,
      iss: cognito.issuer,
      'cognito:username': grant.user.sub,
      'custom:userId': omronCustomUserId(grant.user),
      origin_jti: grant.id,
      aud: cognito.appClientId,
      event_id: randomUUID(),
      token_use: 'id',
      auth_time: Math.floor(grant.createdAt.getTime() / 1000),
      'custom:appName': 'OCM',
      exp: Math.floor(expiresAt.getTime() / 1000),
      iat: now,
      jti: randomUUID(),
      email: grant.user.email,
    })
      .setProtectedHeader({ kid, alg: 'RS256' })
      .sign(privateKey);
  }

  /** The OpenID Connect id_token: RS256, `sub` the OMRON user id, `email`, `aud` the client id. */
  private async idToken(user: SandboxUser, clientId: string, issuer: string, nonce: string | null): Promise<string> {
    const { kid, privateKey } = await this.keys.current();
    return new SignJWT({ email: user.email, email_verified: true, ...(nonce ? { nonce } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setSubject(user.sub)
      .setIssuer(issuer)
      .setAudience(clientId)
      .setIssuedAt()
      .setExpirationTime(`${this.config.oauth.accessTokenTtlSeconds}s`)
      .sign(privateKey);
  }

  private response(accessToken: string, refreshToken?: string, idToken?: string): TokenResponse {
    const expiresIn = this.config.oauth.accessTokenTtlSeconds;
    if (this.config.oauth.tokenProfile === 'spec-example') {
      // Exactly the example's fields, in its order; no id_token, no scope, no snake_case lifetime.
      return {
        success: true,
        access_token: accessToken,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
        expiresIn,
        tokenType: 'Bearer',
      };
    }
    return {
      success: true,
      access_token: accessToken,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(idToken ? { id_token: idToken } : {}),
      expires_in: expiresIn,
      token_type: 'Bearer',
      expiresIn,
      tokenType: 'Bearer',
    };
  }
}

/** OMRON's `custom:userId` of a user: 64 hex characters like the spec's example, stable for the user. */
export function omronCustomUserId(user: Pick<SandboxUser, 'id'>): string {
  return createHash('sha256').update(`omron-custom-user-id:${user.id}`).digest('hex');
}

interface Issued {
  accessToken: string;
  refreshToken?: string;
}

/** Ends a token family: the grant and every token issued under it. Flushed with the caller's transaction. */
async function revokeFamily(em: EntityManager, grant: OAuthGrant): Promise<void> {
  const now = new Date();
  grant.revokedAt ??= now;
  await em.nativeUpdate(OAuthToken, { grant, revokedAt: null }, { revokedAt: now });
}
