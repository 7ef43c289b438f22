import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { DEFAULT_ALERT_RULES } from './alert-rules.catalogue.js';

/** One group's alert rules, switched on and tuned in the portal; a group without a row has every rule off. */
@Entity({ tableName: 'alert_rule_set' })
export class AlertRuleSet {
  /** The group's internal ID. */
  @PrimaryKey({ type: 'uuid' })
  groupId: string;

  @Property({ type: 'boolean' })
  bpCrisisEnabled: boolean & Opt = DEFAULT_ALERT_RULES.bpCrisisEnabled;

  @Property({ type: 'integer' })
  systolicAtLeast: number & Opt = DEFAULT_ALERT_RULES.systolicAtLeast;

  @Property({ type: 'integer' })
  diastolicAtLeast: number & Opt = DEFAULT_ALERT_RULES.diastolicAtLeast;

  @Property({ type: 'boolean' })
  afibEnabled: boolean & Opt = DEFAULT_ALERT_RULES.afibEnabled;

  @Property({ type: 'boolean' })
  noReadingEnabled: boolean & Opt = DEFAULT_ALERT_RULES.noReadingEnabled;

  @Property({ type: 'integer' })
  noReadingDays: number & Opt = DEFAULT_ALERT_RULES.noReadingDays;

  @Property({ type: 'integer' })
  noReadingMinReadings: number & Opt = DEFAULT_ALERT_RULES.noReadingMinReadings;

  @Property({ type: 'boolean' })
  reconnectEnabled: boolean & Opt = DEFAULT_ALERT_RULES.reconnectEnabled;

  @Property({ type: 'timestamptz' })
  updatedAt: Date & Opt = new Date();

  constructor(groupId: string) {
    this.groupId = groupId;
  }
}
