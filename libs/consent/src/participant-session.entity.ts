import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Participant } from '@opendsp/participants';

/** A participant signed in to their page (`/consent/me`); the cookie holds a random token, the table its SHA-256. */
@Entity({ tableName: 'participant_session' })
@Index({ properties: ['participant'] })
export class ParticipantSession {
  @PrimaryKey({ type: 'text' })
  tokenHash: string;

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade', index: false })
  participant: Rel<Participant>;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  lastSeenAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz' })
  expiresAt: Date;

  constructor(tokenHash: string, participant: Participant, expiresAt: Date) {
    this.tokenHash = tokenHash;
    this.participant = participant;
    this.expiresAt = expiresAt;
  }
}
