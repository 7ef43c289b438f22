import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';
import { Participant } from '@opendsp/participants';

export const CONSENT_FLOW_PURPOSES = ['consent', 'reconnect', 'sign_in'] as const;
/**
 * - `consent`: a participant came through a group's consent link;
 * - `reconnect`: a participant on their page authorises OMRON again (connection `reconnect_needed`, …);
 * - `sign_in`: a participant signs in to their page with OMRON connect (only `openid` is asked for).
 */
export type ConsentFlowPurpose = (typeof CONSENT_FLOW_PURPOSES)[number];

export const CONSENT_FLOW_STAGES = ['started', 'signed_in', 'ready', 'authorised', 'consented'] as const;
/**
 * Where a flow stands (each step checks it, so no step can be skipped or replayed):
 * - `started`: the link was valid; the sign-in page is next;
 * - `signed_in`: a pre-created participant signed in and must choose a new password first;
 * - `ready`: a pre-created participant is signed in; the consent screen is next;
 * - `authorised`: OMRON sign-in done, tokens held encrypted here; the consent screen is next;
 * - `consented`: a pre-created participant accepted; connecting their OMRON account is next.
 */
export type ConsentFlowStage = (typeof CONSENT_FLOW_STAGES)[number];

/**
 * One browser's way through a consent link (or a reconnect or sign-in from the participant page), kept on
 * the server and found by the SHA-256 of a random cookie, so nothing about it is ever read back from a URL.
 * Short-lived; deleted when it ends. OMRON tokens obtained before the consent screen wait here encrypted
 * (SecretBox, bound to this row), and are revoked upstream if the participant declines.
 */
@Entity({ tableName: 'consent_flow' })
@Index({ name: 'consent_flow_expires_at_index', properties: ['expiresAt'] })
export class ConsentFlow {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** SHA-256 of the browser's flow cookie. */
  @Property({ type: 'text' })
  @Unique()
  tokenHash: string;

  @Enum({ items: () => CONSENT_FLOW_PURPOSES, type: 'text' })
  purpose: ConsentFlowPurpose;

  @Enum({ items: () => CONSENT_FLOW_STAGES, type: 'text' })
  stage: ConsentFlowStage & Opt = 'started';

  /** The group whose link was opened (consent flows only). */
  @ManyToOne({ entity: () => ProgramGroup, nullable: true, deleteRule: 'cascade' })
  group: Rel<ProgramGroup> | null = null;

  /** The registered redirect URL the link named, exactly as registered. */
  @Property({ type: 'text', nullable: true })
  redirectUrl: string | null = null;

  /** The `state` the partner put on the consent link, handed back on the redirect. */
  @Property({ type: 'text', nullable: true })
  callerState: string | null = null;

  /** The back link of the sign-in page's header (`display_back:1`), with its parameters. */
  @Property({ type: 'text', nullable: true })
  backUrl: string | null = null;

  /** A pre-created participant once signed in; the participant of a reconnect. */
  @ManyToOne({ entity: () => Participant, nullable: true, deleteRule: 'cascade' })
  participant: Rel<Participant> | null = null;

  /** The OMRON user (id_token `sub`) once OMRON sign-in is done. */
  @Property({ type: 'text', nullable: true })
  omronUserId: string | null = null;

  /** The space-delimited OMRON scopes this flow asks for. */
  @Property({ type: 'text' })
  scopes: string;

  /** SHA-256 of the OAuth `state` sent to OMRON; cleared when the callback uses it (single use). */
  @Property({ type: 'text', nullable: true })
  oauthStateHash: string | null = null;

  /** The PKCE code verifier of the pending authorisation request. */
  @Property({ type: 'text', nullable: true, hidden: true })
  pkceVerifierCiphertext: string | null = null;

  /** The token set from OMRON (JSON), waiting for the participant's decision. */
  @Property({ type: 'text', nullable: true, hidden: true })
  pendingTokensCiphertext: string | null = null;

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(tokenHash: string, purpose: ConsentFlowPurpose, scopes: string, expiresAt: Date) {
    this.tokenHash = tokenHash;
    this.purpose = purpose;
    this.scopes = scopes;
    this.expiresAt = expiresAt;
  }
}
