import { type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import type { WebhookEventType } from './webhook-events.catalogue.js';

/**
 * - `pending`: waiting for its first or next attempt (`nextAttemptAt`);
 * - `succeeded`: the receiver answered 2xx;
 * - `failed`: retried until the endpoint's give-up window ran out.
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One message to one endpoint; its ID is the `webhook-id`, the same on every attempt and replay. */
@Entity({ tableName: 'webhook_delivery' })
@Index({ name: 'webhook_delivery_status_next_attempt_at_index', properties: ['status', 'nextAttemptAt'] })
@Index({ name: 'webhook_delivery_endpoint_id_created_at_index', properties: ['endpoint', 'createdAt'] })
/** Finished messages by their last attempt, for the retention's pruning. */
@Index({
  name: 'webhook_delivery_finished_last_attempt_at_index',
  expression: `create index "webhook_delivery_finished_last_attempt_at_index" on "webhook_delivery" ("last_attempt_at") where "status" <> 'pending'`,
})
export class WebhookDelivery {
  /** `msg_` and a random ID. */
  @PrimaryKey({ type: 'text' })
  id: string;

  @ManyToOne({ entity: () => WebhookEndpoint, deleteRule: 'cascade' })
  endpoint: Rel<WebhookEndpoint>;

  @Property({ type: 'text' })
  eventType: WebhookEventType;

  /** The exact body that is signed and sent. */
  @Property({ type: 'text' })
  body: string;

  @Enum({ items: () => WEBHOOK_DELIVERY_STATUSES, type: 'text' })
  status: WebhookDeliveryStatus & Opt = 'pending';

  @Property({ type: 'integer' })
  attempts: number & Opt = 0;

  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null = new Date();

  /** When the current run of attempts began (creation, or the last replay): retries stop a give-up window after it. */
  @Property({ type: 'timestamptz' })
  firstAttemptAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  constructor(id: string, endpoint: WebhookEndpoint, eventType: WebhookEventType, body: string) {
    this.id = id;
    this.endpoint = endpoint;
    this.eventType = eventType;
    this.body = body;
  }
}
