import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { ProgramGroup } from '@opendsp/groups';
import { Participant } from './participant.entity.js';

export const ENROLLMENT_STATUSES = ['invited', 'link_opened', 'consented', 'withdrawn'] as const;
/**
 * Where a participant stands in one group's funnel:
 * - `invited`: pre-created (or invited by e-mail) and not yet seen;
 * - `link_opened`: opened the group's consent link or signed in, has not consented yet;
 * - `consented`: accepted the consent screen; data may flow;
 * - `withdrawn`: left the group (by their own choice or an admin's); no data flows or is exported.
 * "First reading" and "stale" are derived from `firstReadingAt` / `lastReadingAt`.
 */
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];

/** A participant's membership of one group, with the partner's own customer ID for them in that group. */
@Entity({ tableName: 'enrollment' })
@Unique({ properties: ['participant', 'group'] })
@Unique({ name: 'enrollment_group_internal_customer_id_unique', properties: ['group', 'internalCustomerId'] })
// A group's members and funnel counts from the index alone (consentedMemberListSql, ParticipantDirectory.funnel).
@Index({
  name: 'enrollment_group_status_index',
  expression:
    'create index "enrollment_group_status_index" on "enrollment" ("group_id", "status") include ("participant_id", "internal_customer_id", "invited_at", "link_opened_at", "consented_at", "first_reading_at", "last_reading_at")',
})
// The portal's participant list: keyset orders (newest; by last reading, never-read last) with and without
// a group, and prefix search on the internal customer ID.
@Index({ name: 'enrollment_created_at_id_index', properties: ['createdAt', 'id'] })
@Index({ name: 'enrollment_group_created_at_id_index', properties: ['group', 'createdAt', 'id'] })
@Index({
  name: 'enrollment_last_reading_id_index',
  expression: `create index "enrollment_last_reading_id_index" on "enrollment" ((coalesce("last_reading_at", '-infinity'::timestamptz)), "id")`,
})
@Index({
  name: 'enrollment_group_last_reading_id_index',
  expression: `create index "enrollment_group_last_reading_id_index" on "enrollment" ("group_id", (coalesce("last_reading_at", '-infinity'::timestamptz)), "id")`,
})
@Index({
  name: 'enrollment_internal_customer_id_pattern_index',
  expression: 'create index "enrollment_internal_customer_id_pattern_index" on "enrollment" ("internal_customer_id" text_pattern_ops)',
})
export class Enrollment {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => Participant, deleteRule: 'cascade' })
  participant: Rel<Participant>;

  @ManyToOne({ entity: () => ProgramGroup })
  group: Rel<ProgramGroup>;

  @Enum({ items: () => ENROLLMENT_STATUSES, type: 'text' })
  status: EnrollmentStatus;

  /** The partner's customer ID for this person, unique within the group. */
  @Property({ type: 'text', nullable: true })
  internalCustomerId: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  invitedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  linkOpenedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  consentedAt: Date | null = null;

  /** The OMRON scopes (data types) the participant agreed to share, space-delimited. */
  @Property({ type: 'text', nullable: true })
  consentedScopes: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  withdrawnAt: Date | null = null;

  /** `participant` or `admin:<admin account id>`. */
  @Property({ type: 'text', nullable: true })
  withdrawnBy: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  firstReadingAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastReadingAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(participant: Participant, group: ProgramGroup, status: EnrollmentStatus) {
    this.participant = participant;
    this.group = group;
    this.status = status;
  }
}
