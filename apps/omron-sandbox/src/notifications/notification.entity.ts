import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { SandboxUser } from '../users/sandbox-user.entity.js';

/** The JSON body OMRON POSTs to an app's Notification URI. */
export interface NotificationPayload {
  /** The user's OMRON id (`sub`). */
  id: string;
  /** Epoch milliseconds of the upload. */
  timestamp: number;
  type: string;
}

/**
 * One notification to one app (an outbox row). Kept in the database so a restart loses none; a
 * dispatcher claims due rows, POSTs them and reschedules failures on the configured retry schedule.
 */
@Entity({ tableName: 'notification', schema: 'omron_sandbox' })
@Index({ properties: ['nextAttemptAt'] })
export class Notification {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'text' })
  clientId!: string;

  @ManyToOne({ entity: () => SandboxUser, deleteRule: 'cascade' })
  user!: SandboxUser;

  @Property({ type: 'text' })
  uri!: string;

  @Property({ type: 'json' })
  payload!: NotificationPayload;

  @Property({ type: 'integer' })
  attempts: number & Opt = 0;

  /** Null once delivered or given up. */
  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  gaveUpAt: Date | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatus: number | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();
}
