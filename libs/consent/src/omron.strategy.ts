import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import passport from 'passport';
import OAuth2Strategy from 'passport-oauth2';
import { newSecretToken } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { readTokenResponse, type TokenSet } from '@opendsp/tokens';
import type { ConsentFlow } from './consent-flow.entity.js';
import { ConsentFlows } from './consent-flows.service.js';

export const OMRON_STRATEGY = 'omron-connect';

/** What the consent controller attaches to a request before handing it to passport. */
export type FlowRequest = Request & { consentFlow?: ConsentFlow; tokenRequestedAt?: Date };

type StoreCallback = (error: Error | null, state?: string) => void;
type VerifyCallback = (error: Error | null, ok: string | false, info?: { message: string }) => void;

/**
 * passport-oauth2's state store, backed by the browser's consent flow instead of an express session: the
 * `state` sent to OMRON is random, kept only as a hash on the flow together with the PKCE verifier, and
 * used up by the first callback that presents it. A callback without the flow's cookie, with another
 * state, or with a state already used is refused here, before passport makes any token request.
 */
@Injectable()
export class FlowStateStore {
  constructor(private readonly flows: ConsentFlows) {}

  // passport-oauth2 picks the signature by arity: (req, verifier, state, meta, callback) with PKCE.
  store(req: FlowRequest, verifier: string, _state: unknown, _meta: unknown, callback: StoreCallback): void {
    const flow = req.consentFlow;
    if (!flow) return callback(new Error('no consent flow on the request'));
    const state = newSecretToken();
    this.flows.rememberAuthorisationRequest(flow.id, state, verifier).then(
      () => callback(null, state),
      (error: Error) => callback(error),
    );
  }

  verify(req: FlowRequest, providedState: unknown, callback: VerifyCallback): void {
    const flow = req.consentFlow;
    if (!flow) return callback(null, false, { message: 'no consent flow' });
    this.flows.consumeState(flow.id, providedState).then(
      (consumed) => {
        if (!consumed) return callback(null, false, { message: 'state missing, mismatched or used' });
        req.tokenRequestedAt = new Date();
        callback(null, consumed.verifier);
      },
      (error: Error) => callback(error, false),
    );
  }
}

/**
 * OMRON connect sign-in as a passport-oauth2 strategy (Partner API spec, "Implementing OAuth 2.0"): the
 * authorization request on OMRON's website with PKCE S256 and the flow's scopes, then the server-to-server
 * code exchange at `{OMRON_OAUTH_API_URL}/connect/token` (client secret in the body, `scope` repeated as
 * the spec asks). It has a passport instance of its own, so two platform apps in one process (tests) never
 * share a strategy.
 */
@Injectable()
export class OmronStrategy extends PassportStrategy(OAuth2Strategy, OMRON_STRATEGY, 6) {
  private ownPassport?: passport.Authenticator;

  constructor(config: DspConfig, store: FlowStateStore) {
    super({
      authorizationURL: `${config.omron.websiteUrl}/connect/authorize`,
      tokenURL: `${config.omron.apiUrl}/connect/token`,
      clientID: config.omron.clientId,
      clientSecret: config.omron.clientSecret,
      callbackURL: `${config.http.publicBaseUrl}/consent/callback`,
      scopeSeparator: ' ',
      pkce: true,
      state: true,
      // Typed for the callback-only store signatures; passport-oauth2 also calls the PKCE ones this store has.
      store: store as unknown as OAuth2Strategy.StateStore,
      passReqToCallback: true,
      skipUserProfile: true,
    });
  }

  /** Called by the @nestjs/passport mixin to register the strategy (replaces its use of the global instance). */
  getPassportInstance(): passport.Authenticator {
    this.ownPassport ??= new passport.Passport();
    return this.ownPassport;
  }

  /** The spec's token request repeats the scope of the authorisation. */
  override tokenParams(options: { tokenScope?: string }): object {
    return options.tokenScope ? { scope: options.tokenScope } : {};
  }

  /** The token response as a TokenSet, read tolerantly (OMRON answers in snake_case or camelCase). */
  validate(req: FlowRequest, accessToken: string, refreshToken: string | undefined, params: Record<string, unknown>): TokenSet {
    // passport-oauth2 hands over the parsed body as `params`, minus the snake_case access and refresh tokens.
    const body = {
      ...params,
      ...(accessToken ? { access_token: accessToken } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
    return readTokenResponse(body, req.tokenRequestedAt ?? new Date());
  }
}
