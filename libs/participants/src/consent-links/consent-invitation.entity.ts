import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';

/**
 * One consent-link invitation e-mail sent for a group. The address itself is not kept: only a keyed hash
 * (HMAC-SHA256), enough to count distinct people invited and to avoid mailing one address twice a day.
 */
@Entity({ tableName: 'consent_invitation' })
@Index({ name: 'consent_invitation_group_id_sent_at_index', properties: ['group', 'sentAt'] })
@Index({ name: 'consent_invitation_group_id_recipient_hash_index', properties: ['group', 'recipientHash'] })
export class ConsentInvitation {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @ManyToOne({ entity: () => ProgramGroup, deleteRule: 'cascade' })
  group: Rel<ProgramGroup>;

  @Property({ type: 'text' })
  recipientHash: string;

  /** The redirect destination URL of the link that was sent. */
  @Property({ type: 'text' })
  redirectUrl: string;

  @Property({ type: 'uuid', nullable: true })
  sentBy: string | null;

  @Property({ type: 'timestamptz' })
  sentAt: Date & Opt = new Date();

  constructor(group: ProgramGroup, recipientHash: string, redirectUrl: string, sentBy: string | null) {
    this.group = group;
    this.recipientHash = recipientHash;
    this.redirectUrl = redirectUrl;
    this.sentBy = sentBy;
  }
}
