import { ProgramGroup } from '@opendsp/groups';
import { Injectable, Logger } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import { hashToken, newSecretToken } from '@opendsp/admin-auth';
import { SecretBox } from '@opendsp/crypto';
import { Participant } from '@opendsp/participants';
import { OmronOAuthClient, type TokenSet } from '@opendsp/tokens';
import { ConsentCookies } from './consent-cookies.service.js';
import { ConsentFlow, type ConsentFlowPurpose, type ConsentFlowStage } from './consent-flow.entity.js';
import type { ValidConsentLink } from './consent-link.service.js';

/** How long a participant has from opening a link to the end of the flow. */
export const FLOW_MINUTES = 30;

/** Where a flow's ciphertexts are bound (SecretBox associated data). */
const aad = (flowId: string, column: 'pkce_verifier' | 'pending_tokens') => ({ table: 'consent_flow', column, rowId: flowId });

/**
 * Consent flows: started by a valid link (or from the participant page), found again by the browser's
 * cookie, moved from stage to stage with compare-and-set updates (a step can run once), ended when done.
 */
@Injectable()
export class ConsentFlows {
  private readonly logger = new Logger(ConsentFlows.name);

  constructor(
    private readonly em: EntityManager,
    private readonly secrets: SecretBox,
    private readonly cookies: ConsentCookies,
    private readonly client: OmronOAuthClient,
  ) {}

  /** A new flow bound to this browser (a new cookie; any flow it had before is forgotten). */
  async start(
    res: Response,
    input: { purpose: ConsentFlowPurpose; scopes: string; link?: ValidConsentLink; participantId?: string },
  ): Promise<ConsentFlow> {
    this.sweep();
    const token = newSecretToken();
    const em = this.em.fork();
    const flow = new ConsentFlow(hashToken(token), input.purpose, input.scopes, new Date(Date.now() + FLOW_MINUTES * 60_000));
    if (input.link) {
      Object.assign(flow, {
        group: input.link.group,
        redirectUrl: input.link.redirectUrl,
        callerState: input.link.callerState,
        backUrl: input.link.backUrl,
      });
    }
    if (input.participantId) flow.participant = em.getReference(Participant, input.participantId);
    em.persist(flow);
    await em.flush();
    this.cookies.set(res, this.cookies.flow, token, FLOW_MINUTES * 60_000);
    return flow;
  }

  /** This browser's flow, if it has one that has not expired. */
  async current(req: Request): Promise<ConsentFlow | null> {
    const token = this.cookies.read(req, this.cookies.flow);
    if (!token) return null;
    return this.em
      .fork()
      .findOne(ConsentFlow, { tokenHash: hashToken(token), expiresAt: { $gt: new Date() } }, { populate: ['group', 'participant'] });
  }

  /** Moves the flow on if it is still at `from`; false when another request moved it first. */
  async advance(
    flowId: string,
    from: ConsentFlowStage,
    changes: Partial<Pick<ConsentFlow, 'stage' | 'omronUserId'>> & { participantId?: string; pendingTokens?: TokenSet },
  ): Promise<boolean> {
    const { participantId, pendingTokens, ...rest } = changes;
    const update: Record<string, unknown> = { ...rest };
    if (participantId) update.participant = participantId;
    if (pendingTokens) update.pendingTokensCiphertext = this.secrets.encrypt(serialiseTokens(pendingTokens), aad(flowId, 'pending_tokens'));
    return (await this.em.fork().nativeUpdate(ConsentFlow, { id: flowId, stage: from, expiresAt: { $gt: new Date() } }, update)) === 1;
  }

  /** Ends the flow if it is still at `stage` and returns it as it was: whatever ends a flow runs once. */
  async finish(flowId: string, stage: ConsentFlowStage): Promise<ConsentFlow | null> {
    return this.em.fork().transactional(async (em) => {
      const flow = await em.findOne(
        ConsentFlow,
        { id: flowId, stage, expiresAt: { $gt: new Date() } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['group', 'participant'] },
      );
      if (flow) em.remove(flow);
      return flow;
    });
  }

  /** Ends the flow whatever its stage. */
  async end(flowId: string): Promise<void> {
    await this.em.fork().nativeDelete(ConsentFlow, { id: flowId });
  }

  clearCookie(res: Response): void {
    this.cookies.clear(res, this.cookies.flow);
  }

  /** Remembers the PKCE verifier and the OAuth state (its hash) of the authorisation request about to be sent. */
  async rememberAuthorisationRequest(flowId: string, state: string, verifier: string): Promise<void> {
    await this.em
      .fork()
      .nativeUpdate(
        ConsentFlow,
        { id: flowId },
        { oauthStateHash: hashToken(state), pkceVerifierCiphertext: this.secrets.encrypt(verifier, aad(flowId, 'pkce_verifier')) },
      );
  }

  /**
   * Uses up the OAuth state of the flow's pending authorisation request: true and the PKCE verifier when
   * `state` is the one sent, in time, for the first time. Atomic, so a replayed or raced callback gets null.
   */
  async consumeState(flowId: string, state: unknown): Promise<{ verifier: string } | null> {
    if (typeof state !== 'string' || state.length === 0 || state.length > 200) return null;
    const rows = await this.em
      .fork()
      .getConnection()
      .execute<{ pkce_verifier_ciphertext: string | null }[]>(
        `with pending as (
           select id, pkce_verifier_ciphertext from consent_flow
            where id = ? and oauth_state_hash = ? and expires_at > now() for update
         )
         update consent_flow f set oauth_state_hash = null, pkce_verifier_ciphertext = null
           from pending where f.id = pending.id returning pending.pkce_verifier_ciphertext`,
        [flowId, hashToken(state)],
      );
    const ciphertext = rows[0]?.pkce_verifier_ciphertext;
    if (!ciphertext) return null;
    return { verifier: this.secrets.decrypt(ciphertext, aad(flowId, 'pkce_verifier')) };
  }

  /** The OMRON tokens a flow holds while the participant decides. */
  pendingTokens(flow: Pick<ConsentFlow, 'id' | 'pendingTokensCiphertext'>): TokenSet | null {
    if (!flow.pendingTokensCiphertext) return null;
    return deserialiseTokens(this.secrets.decrypt(flow.pendingTokensCiphertext, aad(flow.id, 'pending_tokens')));
  }

  /** OMRON answered `invalid_scope` to a consent link of this group (internal ID): its page shows an alert. */
  async noteScopeRefused(groupRowId: string): Promise<void> {
    await this.em.fork().nativeUpdate(ProgramGroup, { id: groupRowId }, { scopeRefusedAt: new Date() });
  }

  /** Revokes tokens OMRON issued that will not be kept (declined, wrong account, sign-in only). Never throws. */
  async discard(tokens: { accessToken?: string; refreshToken?: string }): Promise<void> {
    for (const [token, hint] of [
      [tokens.refreshToken, 'refresh_token'],
      [tokens.accessToken, 'access_token'],
    ] as const) {
      if (!token) continue;
      await this.client
        .revoke(token, hint)
        .catch((error: Error) => this.logger.warn(`revocation of a discarded ${hint} failed: ${error.message}`));
    }
  }

  /** Deletes expired flows, revoking the tokens an abandoned one still held. Runs in the background. */
  sweep(): void {
    void (async () => {
      const em = this.em.fork();
      const expired = await em.find(
        ConsentFlow,
        { expiresAt: { $lte: new Date() } },
        { limit: 50, fields: ['id', 'pendingTokensCiphertext'], orderBy: { expiresAt: 'asc' } },
      );
      if (expired.length === 0) return;
      await em.nativeDelete(ConsentFlow, { id: { $in: expired.map((flow) => flow.id) } });
      for (const flow of expired) {
        const tokens = this.pendingTokens(flow);
        if (tokens) await this.discard(tokens);
      }
    })().catch((error: Error) => this.logger.warn(`sweeping expired consent flows failed: ${error.message}`));
  }
}

function serialiseTokens(tokens: TokenSet): string {
  return JSON.stringify({ ...tokens, requestedAt: tokens.requestedAt.toISOString() });
}

function deserialiseTokens(json: string): TokenSet {
  const parsed = JSON.parse(json) as Omit<TokenSet, 'requestedAt'> & { requestedAt: string };
  return { ...parsed, requestedAt: new Date(parsed.requestedAt) };
}
