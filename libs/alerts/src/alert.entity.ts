import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import {
  ALERT_RESOLUTIONS,
  ALERT_RULES,
  ALERT_STATUSES,
  type AlertResolution,
  type AlertRule,
  type AlertStatus,
} from './alert-rules.catalogue.js';

/**
 * One alert: a participant of a group met one of the group's rules. At most one is open per group, participant
 * and rule (`alert_open_unique`): raising it again while it is open does nothing, and only a later event (a
 * reading, a silence, a connection change) after its acknowledgement or resolution raises a new one.
 */
@Entity({ tableName: 'alert' })
@Index({
  name: 'alert_open_unique',
  expression: `create unique index "alert_open_unique" on "alert" ("group_id", "participant_id", "rule") where "status" = 'open'`,
})
// The inbox, newest first: of some groups (a group admin's) and of all of them (everyone else).
@Index({ name: 'alert_group_id_raised_at_id_index', properties: ['groupId', 'raisedAt', 'id'] })
@Index({ name: 'alert_raised_at_id_index', properties: ['raisedAt', 'id'] })
@Index({ name: 'alert_participant_id_rule_index', properties: ['participantId', 'rule'] })
@Index({
  name: 'alert_unmailed_index',
  expression: `create index "alert_unmailed_index" on "alert" ("raised_at") where "mailed_at" is null`,
})
export class Alert {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  /** The group's internal ID. */
  @Property({ type: 'uuid' })
  groupId: string;

  @Property({ type: 'uuid' })
  participantId: string;

  @Enum({ items: () => ALERT_RULES, type: 'text' })
  rule: AlertRule;

  @Enum({ items: () => ALERT_STATUSES, type: 'text' })
  status: AlertStatus & Opt = 'open';

  @Property({ type: 'timestamptz' })
  raisedAt: Date & Opt = new Date();

  /** The reading the alert is about (its kind's table and row ID); none for connection alerts. */
  @Property({ type: 'text', nullable: true })
  readingKind: string | null = null;

  @Property({ type: 'bigint', nullable: true })
  readingId: string | null = null;

  /** The reading's measurement time; for `no_reading`, the last reading's (the silence it is about). */
  @Property({ type: 'timestamptz', nullable: true })
  measuredAt: Date | null = null;

  /** What met the rule: the values and the lines in force, or the silence and the count that made it "used to measure". */
  @Property({ type: 'jsonb' })
  detail: Record<string, unknown> & Opt = {};

  /** When the e-mail to the group's admins went out (null: still to send). */
  @Property({ type: 'timestamptz', nullable: true })
  mailedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  acknowledgedAt: Date | null = null;

  @Property({ type: 'uuid', nullable: true })
  acknowledgedBy: string | null = null;

  @Property({ type: 'text', nullable: true })
  acknowledgedLogin: string | null = null;

  @Property({ type: 'text', nullable: true })
  note: string | null = null;

  /** When the platform resolved the alert, its cause gone (status `resolved`); nobody acknowledged it. */
  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null = null;

  @Enum({ items: () => ALERT_RESOLUTIONS, type: 'text', nullable: true })
  resolution: AlertResolution | null = null;

  constructor(groupId: string, participantId: string, rule: AlertRule) {
    this.groupId = groupId;
    this.participantId = participantId;
    this.rule = rule;
  }
}
