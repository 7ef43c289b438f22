import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RegisteredApp } from '../registered-apps/registered-app.entity.js';
import { RegisteredApps } from '../registered-apps/registered-apps.service.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import { AuthorizationCode } from './authorization-code.entity.js';
import type { OAuthErrorCode } from './oauth-error.js';
import { isSandboxScope, parseScopeParam } from './scopes.js';
import { newOpaqueToken, tokenDigest } from './secrets.js';

/** How long an authorization code may wait for its exchange (the spec: "~ 10 minutes"). */
export const CODE_LIFETIME_SECONDS = 10 * 60;

const PKCE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const MAX_PARAM_LENGTH = 2000;

/** A valid request to the authorization website, ready for sign-in and consent. */
export interface AuthorizationRequest {
  app: RegisteredApp;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge: string | null;
  nonce: string | null;
  /** The request's query string, carried through the sign-in and consent forms and checked again there. */
  query: string;
}

/**
 * What to do with a request. An unknown client or an unregistered redirect URI gets an error page and
 * never a redirect (RFC 6749 §4.1.2.1): sending the browser to an unverified address would make the
 * sandbox an open redirector. Every other problem goes back to the app as `error=…`.
 */
export type AuthorizationCheck =
  | { outcome: 'error-page'; message: string }
  | { outcome: 'redirect'; location: string }
  | { outcome: 'valid'; request: AuthorizationRequest };

type Params = Record<string, unknown>;

/** A parameter's single value: undefined when absent, Error when repeated or not text (RFC 6749 §3.1). */
function single(params: Params, name: string): string | undefined | Error {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return new Error(`${name} must be given once`);
  if (value.length > MAX_PARAM_LENGTH) return new Error(`${name} is too long`);
  return value;
}

/** The redirect URI with the given parameters added to its own query. */
export function redirectWith(redirectUri: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.append(name, value);
  return url.toString();
}

/** The authorization website's logic: checking requests, issuing codes and refusals. */
@Injectable()
export class AuthorizationService {
  private readonly logger = new Logger(AuthorizationService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly apps: RegisteredApps,
  ) {}

  /** Checks a request's parameters (from the query string, or the query carried by a form). */
  async check(params: Params): Promise<AuthorizationCheck> {
    const clientId = single(params, 'client_id');
    if (clientId instanceof Error || !clientId) return { outcome: 'error-page', message: 'The request has no valid client_id.' };
    const app = await this.apps.find(clientId);
    if (!app) return { outcome: 'error-page', message: `No application is registered with the client id "${clientId}".` };
    const redirectUri = single(params, 'redirect_uri');
    if (redirectUri instanceof Error || !redirectUri) return { outcome: 'error-page', message: 'The request has no valid redirect_uri.' };
    if (!app.redirectUris.includes(redirectUri)) {
      return { outcome: 'error-page', message: `The redirect_uri is not registered for ${app.displayName}.` };
    }

    const state = single(params, 'state');
    const refuse = (error: OAuthErrorCode, description: string): AuthorizationCheck => ({
      outcome: 'redirect',
      location: redirectWith(redirectUri, {
        error,
        error_description: description,
        state: typeof state === 'string' ? state : null,
      }),
    });
    if (state instanceof Error) return refuse('invalid_request', state.message);

    const responseType = single(params, 'response_type');
    if (responseType instanceof Error) return refuse('invalid_request', responseType.message);
    if (!responseType) return refuse('invalid_request', 'response_type is required');
    if (responseType !== 'code') return refuse('unsupported_response_type', 'response_type must be "code"');

    const scope = single(params, 'scope');
    if (scope instanceof Error) return refuse('invalid_request', scope.message);
    const scopes = parseScopeParam(scope);
    if (scopes.length === 0) return refuse('invalid_scope', 'scope is required');
    const unknown = scopes.filter((name) => !isSandboxScope(name) || !app.allowedScopes.includes(name));
    if (unknown.length > 0) return refuse('invalid_scope', `scope not allowed for this application: ${unknown.join(' ')}`);

    const challenge = single(params, 'code_challenge');
    const method = single(params, 'code_challenge_method');
    if (challenge instanceof Error) return refuse('invalid_request', challenge.message);
    if (method instanceof Error) return refuse('invalid_request', method.message);
    if (method !== undefined && challenge === undefined) return refuse('invalid_request', 'code_challenge_method without code_challenge');
    if (challenge !== undefined) {
      // "plain" offers no protection against a stolen code, so only S256 is accepted (RFC 7636 §4.2, OAuth 2.1).
      if (method !== 'S256') return refuse('invalid_request', 'code_challenge_method must be S256');
      if (!PKCE_CHALLENGE.test(challenge)) return refuse('invalid_request', 'code_challenge must be 43-128 characters of [A-Za-z0-9._~-]');
    }
    const nonce = single(params, 'nonce');
    if (nonce instanceof Error) return refuse('invalid_request', nonce.message);

    const query = new URLSearchParams();
    for (const [name, value] of Object.entries({
      client_id: clientId,
      response_type: responseType,
      scope: scopes.join(' '),
      redirect_uri: redirectUri,
      state,
      code_challenge: challenge,
      code_challenge_method: method,
      nonce,
    })) {
      if (value !== undefined) query.set(name, value);
    }
    return {
      outcome: 'valid',
      request: {
        app,
        redirectUri,
        scopes,
        state: state ?? null,
        codeChallenge: challenge ?? null,
        nonce: nonce ?? null,
        query: query.toString(),
      },
    };
  }

  /** The user approved: stores a single-use code (its hash only) and returns where to send the browser. */
  async approve(request: AuthorizationRequest, userId: string): Promise<string> {
    const em = this.em.fork();
    const code = newOpaqueToken();
    em.persist(
      new AuthorizationCode({
        codeHash: tokenDigest(code),
        user: em.getReference(SandboxUser, userId),
        app: em.getReference(RegisteredApp, request.app.clientId),
        scopes: request.scopes,
        redirectUri: request.redirectUri,
        codeChallenge: request.codeChallenge,
        nonce: request.nonce,
        expiresAt: new Date(Date.now() + CODE_LIFETIME_SECONDS * 1000),
      }),
    );
    await em.flush();
    this.logger.log(`user ${userId} approved ${request.app.clientId}`);
    return redirectWith(request.redirectUri, { code, state: request.state });
  }

  /** The user denied: the spec's `?error=access_denied`, with the state when the app sent one. */
  deny(request: AuthorizationRequest): string {
    return redirectWith(request.redirectUri, { error: 'access_denied', state: request.state });
  }
}

/** The S256 transformation of a PKCE code verifier (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
