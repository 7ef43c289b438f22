import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog } from '@opendsp/audit';
import { SecretBox } from '@opendsp/crypto';
import { DspConfig } from '@opendsp/config';
import { ConsentRecords, EnrollmentEvents, participantActor, type Enrollment, type Participant } from '@opendsp/participants';
import { OmronConnection, OmronTokens, type TokenSet } from '@opendsp/tokens';
import type { ConsentFlow } from './consent-flow.entity.js';
import { ConsentFlows } from './consent-flows.service.js';
import { redirectWith } from './consent-link.service.js';
import { dataScopesOf } from './consent-scopes.rules.js';
import { IdTokenVerifier } from './id-token-verifier.service.js';

/** What the callback leads to, for the controller to show. */
export type AuthorisedOutcome =
  /** OMRON sign-in of a consent link: the consent screen is next. */
  | { kind: 'consent_screen' }
  /** Done: send the browser to the partner (and sign the participant in to their page). */
  | { kind: 'finished'; location: string; participantId: string }
  | { kind: 'reconnected'; participantId: string }
  | { kind: 'signed_in'; participantId: string }
  /** `other_participant`: that OMRON account belongs to someone else here; `other_account`: this person is linked to another one. */
  | { kind: 'conflict'; reason: 'other_participant' | 'other_account' }
  | { kind: 'unknown_participant' }
  | { kind: 'id_token_refused' }
  /** The flow moved on meanwhile (a second tab, a double click). */
  | { kind: 'stale' };

export type DecisionOutcome =
  | { kind: 'finished'; location: string; participantId: string }
  | { kind: 'declined'; location: string }
  /** A pre-created participant accepted; connecting their OMRON account is next. */
  | { kind: 'connect' }
  | { kind: 'stale' };

/**
 * The participant's decisions and what follows them: OMRON sign-in results, accepting or declining the
 * consent screen, linking a pre-created account to OMRON, reconnecting, signing in to the participant page.
 *
 * Each step first claims its flow at the stage it expects (compare-and-set or delete-returning), so a
 * replayed or doubled request finds nothing to do. Calls to OMRON happen outside database transactions.
 */
@Injectable()
export class ConsentService {
  private readonly logger = new Logger(ConsentService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly flows: ConsentFlows,
    private readonly idTokens: IdTokenVerifier,
    private readonly tokens: OmronTokens,
    private readonly events: EnrollmentEvents,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
    private readonly secrets: SecretBox,
    private readonly records: ConsentRecords,
  ) {}

  private get callbackUrl(): string {
    return `${this.config.http.publicBaseUrl}/consent/callback`;
  }

  /**
   * After OMRON sign-in: finds who signed in (the id_token, or the access token when it is a JWT) and moves the
   * flow on according to its purpose. The identity's `custom:userId` and e-mail travel with the tokens.
   */
  async authorised(flow: ConsentFlow, answer: TokenSet, ip: string | null): Promise<AuthorisedOutcome> {
    let sub: string;
    let tokens: TokenSet;
    try {
      const identity = await this.idTokens.identify(answer);
      sub = identity.userId;
      tokens = { ...answer, profile: { customUserId: identity.customUserId, email: identity.email } };
    } catch (error) {
      this.logger.warn(`OMRON sign-in refused: ${(error as Error).message}`);
      await this.flows.end(flow.id);
      await this.flows.discard(answer);
      return { kind: 'id_token_refused' };
    }
    const outcome = await this.route(flow, sub, tokens, ip);
    if (outcome.kind !== 'consent_screen' && outcome.kind !== 'finished' && outcome.kind !== 'reconnected') {
      // Whatever is not kept is revoked at OMRON and forgotten here.
      await this.flows.discard(tokens);
    }
    return outcome;
  }

  private async route(flow: ConsentFlow, sub: string, tokens: TokenSet, ip: string | null): Promise<AuthorisedOutcome> {
    if (flow.purpose === 'sign_in') {
      await this.flows.end(flow.id);
      const participant = await this.records.byOmronUser(sub);
      return participant ? { kind: 'signed_in', participantId: participant.id } : { kind: 'unknown_participant' };
    }
    if (flow.purpose === 'reconnect') {
      const claimed = await this.flows.finish(flow.id, 'started');
      if (!claimed?.participant) return { kind: 'stale' };
      const linked = await this.link(claimed.participant.id, sub, ip);
      if (linked !== 'linked') return { kind: 'conflict', reason: linked };
      await this.storeConnection(claimed.participant.id, sub, flow.scopes, tokens, ip);
      return { kind: 'reconnected', participantId: claimed.participant.id };
    }
    if (!flow.participant) {
      // An OMRON connect user on a consent link: hold the tokens until they decide.
      if (!(await this.flows.advance(flow.id, 'started', { stage: 'authorised', omronUserId: sub, pendingTokens: tokens }))) {
        return { kind: 'stale' };
      }
      await this.markLinkOpened({ omronUserId: sub }, flow.group!.id, flow.createdAt);
      return { kind: 'consent_screen' };
    }
    // A pre-created participant who accepted connects their OMRON account: the last step.
    const claimed = await this.flows.finish(flow.id, 'consented');
    if (!claimed) return { kind: 'stale' };
    const participantId = claimed.participant!.id;
    const linked = await this.link(participantId, sub, ip);
    if (linked !== 'linked') return { kind: 'conflict', reason: linked };
    const connection = await this.storeConnection(participantId, sub, flow.scopes, tokens, ip);
    const participant = (await this.records.byId(participantId))!;
    await this.announceConsent(participant, claimed.group!.id, connection.id);
    return {
      kind: 'finished',
      location: redirectWith(claimed.redirectUrl!, { ogsc_id: participant.ogscId }, claimed.callerState),
      participantId,
    };
  }

  /** Accept on the consent screen. */
  async accept(flow: ConsentFlow, ip: string | null): Promise<DecisionOutcome> {
    if (flow.stage === 'authorised') return this.acceptAsOmronUser(flow, ip);
    if (flow.stage !== 'ready' || !flow.participant) return { kind: 'stale' };
    if (!(await this.flows.advance(flow.id, 'ready', { stage: 'consented' }))) return { kind: 'stale' };
    const participantId = flow.participant.id;
    const enrollment = await this.consentEnrollment(participantId, flow, ip);
    // Linked to OMRON already with a working connection (a returning participant joining another group): done.
    const participant = (await this.records.byId(participantId))!;
    const connection = participant.omronUserId
      ? await this.em.fork().findOne(OmronConnection, { omronUserId: participant.omronUserId, state: { $in: ['active', 'refreshing'] } })
      : null;
    if (!connection) return { kind: 'connect' };
    const claimed = await this.flows.finish(flow.id, 'consented');
    if (!claimed) return { kind: 'stale' };
    await this.announceConsent(participant, enrollment.group.id, connection.id);
    return {
      kind: 'finished',
      location: redirectWith(claimed.redirectUrl!, { ogsc_id: participant.ogscId }, claimed.callerState),
      participantId,
    };
  }

  /** Decline on the consent screen: nothing is kept, and the partner hears `error=access_denied`. */
  async decline(flow: ConsentFlow): Promise<DecisionOutcome> {
    if (flow.stage !== 'authorised' && flow.stage !== 'ready') return { kind: 'stale' };
    const claimed = await this.flows.finish(flow.id, flow.stage);
    if (!claimed) return { kind: 'stale' };
    const tokens = this.flows.pendingTokens(claimed);
    if (tokens) await this.flows.discard(tokens);
    return { kind: 'declined', location: redirectWith(claimed.redirectUrl!, { error: 'access_denied' }, claimed.callerState) };
  }

  /**
   * Funnel: a known participant opened a group's link (pre-created and signed in, or an OMRON user who is a
   * participant already). Only `invited` moves to `link_opened`; an unknown pre-created participant gets a
   * `link_opened` enrollment, since they came through this group's link.
   */
  markLinkOpened(who: { participantId: string } | { omronUserId: string }, groupId: string, at: Date): Promise<void> {
    return this.records.markLinkOpened(who, groupId, at);
  }

  private async acceptAsOmronUser(flow: ConsentFlow, ip: string | null): Promise<DecisionOutcome> {
    const claimed = await this.flows.finish(flow.id, 'authorised');
    const tokens = claimed && this.flows.pendingTokens(claimed);
    if (!claimed || !tokens || !claimed.omronUserId) return { kind: 'stale' };
    const sub = claimed.omronUserId;
    const participant = await this.records.createForOmronUser(sub);
    const connection = await this.connect(sub, claimed.scopes, tokens);
    await this.consentEnrollment(participant.id, claimed, ip, grantedScopes(claimed.scopes, tokens));
    await this.announceConsent(participant, claimed.group!.id, connection.id);
    return {
      kind: 'finished',
      location: redirectWith(claimed.redirectUrl!, { ogsc_id: participant.ogscId }, claimed.callerState),
      participantId: participant.id,
    };
  }

  /** Records consent on the participant's enrollment in the flow's group (created when missing). */
  private consentEnrollment(participantId: string, flow: ConsentFlow, ip: string | null, granted = flow.scopes): Promise<Enrollment> {
    return this.records.consent(participantId, flow.group!, dataScopesOf(granted), flow.createdAt, ip);
  }

  /**
   * Sets the participant's OMRON user ID, unless that OMRON account belongs to another participant or this
   * participant is linked to another OMRON account already: then nothing changes.
   */
  private link(participantId: string, sub: string, ip: string | null): Promise<'linked' | 'other_participant' | 'other_account'> {
    return this.records.linkOmronUser(participantId, sub, ip);
  }

  /** Stores a new authorisation of a linked participant; a connection that was not working is restored. */
  private async storeConnection(
    participantId: string,
    sub: string,
    scopes: string,
    tokens: TokenSet,
    ip: string | null,
  ): Promise<OmronConnection> {
    const before = await this.em.fork().findOne(OmronConnection, { omronUserId: sub });
    const connection = await this.connect(sub, scopes, tokens);
    if (before && before.state !== 'active' && before.state !== 'refreshing') {
      const participant = (await this.records.byId(participantId))!;
      await this.audit.recordNow({
        action: 'participant.reconnected',
        actor: participantActor(participant, ip),
        target: { type: 'participant', id: participant.ogscId },
        detail: { previousState: before.state },
      });
      await this.events.emit('connectionRestored', {
        participantId,
        ogscId: participant.ogscId,
        omronUserId: sub,
        connectionId: connection.id,
        at: new Date(),
      });
    }
    return connection;
  }

  /**
   * Hands a new authorisation to the token store. The authorisation it replaces (the person consented again,
   * or reconnected) is revoked at OMRON afterwards, so no forgotten grant stays alive there.
   */
  private async connect(sub: string, scopes: string, tokens: TokenSet): Promise<OmronConnection> {
    const previous = await this.em.fork().findOne(OmronConnection, { omronUserId: sub });
    const superseded = previous?.refreshTokenCiphertext
      ? this.secrets.decrypt(previous.refreshTokenCiphertext, { table: 'omron_connection', column: 'refresh_token', rowId: previous.id })
      : undefined;
    const connection = await this.tokens.connect({
      omronUserId: sub,
      scopes: grantedScopes(scopes, tokens),
      redirectUri: this.callbackUrl,
      tokens,
    });
    if (superseded && superseded !== tokens.refreshToken) {
      await this.flows.discard({ refreshToken: superseded });
    }
    return connection;
  }

  private async announceConsent(participant: Participant, groupRowId: string, connectionId: string): Promise<void> {
    const enrollment = await this.records.enrollmentIn(participant, groupRowId);
    await this.events.emit('consentAccepted', {
      enrollmentId: enrollment.id,
      participantId: participant.id,
      ogscId: participant.ogscId,
      groupId: enrollment.group.groupId,
      omronUserId: participant.omronUserId!,
      connectionId,
      scopes: (enrollment.consentedScopes ?? '').split(' ').filter(Boolean),
      at: enrollment.consentedAt ?? new Date(),
    });
  }
}

/** What OMRON granted: the answer's `scope` when it sends one (the spec's example does not), else what was asked. */
function grantedScopes(asked: string, tokens: TokenSet): string {
  return tokens.grantedScope ?? asked;
}
