import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { generateOgscId } from './ogsc-id.rules.js';

export const ENROLLMENT_METHODS = ['omron_connect', 'pre_created'] as const;
/** How the person first joined: through a consent link as an existing OMRON connect user, or with an account the partner pre-created. */
export type EnrollmentMethod = (typeof ENROLLMENT_METHODS)[number];

/**
 * A person whose data this environment may hold. The OGSC ID is theirs for good: one per OMRON user
 * (`sub`) per environment, issued at creation (pre-created accounts get it before they ever sign in),
 * never reused and never changed. Membership of groups is in `Enrollment`.
 */
@Entity({ tableName: 'participant' })
// Prefix search in the portal's participant list (`LIKE 'OG-7K2M%'`), whatever the database's collation.
@Index({
  name: 'participant_ogsc_id_pattern_index',
  expression: 'create index "participant_ogsc_id_pattern_index" on "participant" ("ogsc_id" text_pattern_ops)',
})
@Index({
  name: 'participant_login_id_pattern_index',
  expression: 'create index "participant_login_id_pattern_index" on "participant" ("login_id" text_pattern_ops)',
})
// A participant's OGSC ID and OMRON user by ID from the index alone, for a group's members (consentedMemberListSql) and funnel.
@Index({
  name: 'participant_id_covering_index',
  expression: 'create index "participant_id_covering_index" on "participant" ("id") include ("ogsc_id", "omron_user_id")',
})
export class Participant {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  ogscId: string & Opt = generateOgscId();

  /** OMRON's user identifier (the id_token's `sub`) once the person has connected their OMRON account. */
  @Property({ type: 'text', nullable: true })
  @Unique()
  omronUserId: string | null = null;

  @Enum({ items: () => ENROLLMENT_METHODS, type: 'text' })
  enrollmentMethod: EnrollmentMethod;

  /** Pre-created accounts only: the readable login ID the partner hands to the person. */
  @Property({ type: 'text', nullable: true })
  @Unique()
  loginId: string | null = null;

  /** argon2id; pre-created accounts only. */
  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash: string | null = null;

  /** Set for a generated password: the first sign-in must choose a new one. */
  @Property({ type: 'boolean' })
  mustChangePassword: boolean & Opt = false;

  /** A pre-created account that has never been used stops working after this time. */
  @Property({ type: 'timestamptz', nullable: true })
  credentialsExpireAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastSignInAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(enrollmentMethod: EnrollmentMethod) {
    this.enrollmentMethod = enrollmentMethod;
  }
}
