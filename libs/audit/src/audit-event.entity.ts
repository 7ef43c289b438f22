import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One admin action or security event. Append-only: a trigger in the database refuses UPDATE, DELETE and
 * TRUNCATE, so not even a bug or a compromised process can rewrite the history.
 */
@Entity({
  tableName: 'audit_event',
  triggers: [
    {
      name: 'audit_event_append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: "raise exception 'audit_event is append-only: % refused', tg_op using errcode = 'insufficient_privilege';",
    },
  ],
})
@Index({ name: 'audit_event_action_id_index', properties: ['action', 'id'] })
@Index({ name: 'audit_event_actor_login_id_index', properties: ['actorLogin', 'id'] })
@Index({ name: 'audit_event_occurred_at_index', properties: ['occurredAt'] })
export class AuditEvent {
  /** Grows with time, so it doubles as the keyset cursor of the audit page. */
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  /** When it happened; stored as UTC (timestamptz), shown in the environment's time zone. */
  @Property({ type: 'timestamptz' })
  occurredAt: Date & Opt = new Date();

  /** The admin who acted; null for events without a signed-in admin (e.g. a failed sign-in). */
  @Property({ type: 'uuid', nullable: true })
  actorId: string | null = null;

  /** The login ID involved: the acting admin's, or the one typed into a failed sign-in. */
  @Property({ type: 'text', nullable: true })
  actorLogin: string | null = null;

  /** What happened, e.g. `auth.login`, `group.created` (see AUDIT_ACTIONS). */
  @Property({ type: 'text' })
  action: string;

  @Property({ type: 'text', nullable: true })
  targetType: string | null = null;

  @Property({ type: 'text', nullable: true })
  targetId: string | null = null;

  /** The client address the request came from (after trusted-proxy resolution). */
  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  /** Facts about the change (never passwords or tokens). */
  @Property({ type: 'json' })
  detail: Record<string, unknown> & Opt = {};

  constructor(action: string) {
    this.action = action;
  }
}
