import { randomUUID } from 'node:crypto';
import { BigIntType, type Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { WebhookEventType } from './webhook-events.catalogue.js';

/**
 * A partner's URL that OpenDSP posts events to, signed per Standard Webhooks. The signing secret is SecretBox
 * ciphertext bound to this row (`webhook_endpoint`/`secret_ciphertext`); after a rotation the previous secret
 * keeps signing too until `previousSecretUntil`, so a receiver can switch over without dropping a message.
 */
@Entity({ tableName: 'webhook_endpoint' })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @Property({ type: 'text' })
  url: string;

  @Property({ type: 'text' })
  description: string & Opt = '';

  @Property({ type: 'json' })
  eventTypes: WebhookEventType[];

  /** Internal IDs of the groups whose participants' events it receives. */
  @Property({ type: 'json' })
  groupIds: string[];

  @Property({ type: 'text', hidden: true })
  secretCiphertext: string;

  @Property({ type: 'text', nullable: true, hidden: true })
  previousSecretCiphertext: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  previousSecretUntil: Date | null = null;

  @Property({ type: 'boolean' })
  enabled: boolean & Opt = true;

  /** Why it was switched off: by an admin, or because deliveries kept failing (the portal's alert). */
  @Property({ type: 'text', nullable: true })
  disabledReason: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null = null;

  /** Readings with a change sequence number up to this one have been turned into events for it. */
  @Property({ type: new BigIntType('string') })
  readingsThroughSeq: string;

  /** Connection state changes (libs/tokens) up to this one have been looked at for `connection.reconnect_needed`. */
  @Property({ type: new BigIntType('string') })
  connectionEventsThroughId: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  constructor(input: {
    url: string;
    eventTypes: WebhookEventType[];
    groupIds: string[];
    readingsThroughSeq: string;
    connectionEventsThroughId: string;
  }) {
    this.url = input.url;
    this.eventTypes = input.eventTypes;
    this.groupIds = input.groupIds;
    this.readingsThroughSeq = input.readingsThroughSeq;
    this.connectionEventsThroughId = input.connectionEventsThroughId;
    this.secretCiphertext = '';
  }
}
