import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { TokenSet } from '@opendsp/tokens';
import type { ConsentFlow } from './consent-flow.entity.js';
import { OMRON_STRATEGY, OmronStrategy, type FlowRequest } from './omron.strategy.js';

export type CallbackOutcome =
  | { kind: 'authorised'; tokens: TokenSet }
  /** The state check failed (missing, mismatched, used): no token request was made. */
  | { kind: 'refused' }
  /** OMRON's token endpoint failed or answered something unusable. */
  | { kind: 'error'; error: Error };

/** Runs the OMRON strategy through passport for one request: the authorisation redirect, or the callback. */
@Injectable()
export class OmronSignIn {
  constructor(private readonly strategy: OmronStrategy) {}

  /** Sends the browser to OMRON's sign-in with the flow's scopes (state and PKCE kept on the flow). */
  async begin(req: Request, res: Response, flow: ConsentFlow): Promise<void> {
    const outcome = await this.run(req, res, flow, { scope: flow.scopes });
    if (outcome !== 'redirected') throw outcome.kind === 'error' ? outcome.error : new Error('OMRON sign-in did not start');
  }

  /** Checks the callback's state against the flow and exchanges the code. */
  async complete(req: Request, res: Response, flow: ConsentFlow): Promise<CallbackOutcome> {
    const outcome = await this.run(req, res, flow, { tokenScope: flow.scopes });
    return outcome === 'redirected' ? { kind: 'error', error: new Error('unexpected redirect') } : outcome;
  }

  private run(req: Request, res: Response, flow: ConsentFlow, options: object): Promise<CallbackOutcome | 'redirected'> {
    (req as FlowRequest).consentFlow = flow;
    return new Promise((resolve) => {
      // passport ends the response itself when it redirects to OMRON.
      res.once('finish', () => resolve('redirected'));
      const passport = this.strategy.getPassportInstance();
      passport.authenticate(OMRON_STRATEGY, { session: false, ...options }, (error: Error | null, tokens: TokenSet | false) => {
        if (error) resolve({ kind: 'error', error });
        else if (!tokens) resolve({ kind: 'refused' });
        else resolve({ kind: 'authorised', tokens });
      })(req, res, (error?: Error) => resolve({ kind: 'error', error: error ?? new Error('passport passed the request on') }));
    });
  }
}
