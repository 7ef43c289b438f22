import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { SecretBox } from '@opendsp/crypto';
import { ReadingsRepository } from '@opendsp/measurements';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import type { WebhookEventType } from './webhook-events.js';
import { newSigningSecret } from './webhook-signing.js';

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const secretAt = (endpoint: WebhookEndpoint, column: 'secret_ciphertext' | 'previous_secret_ciphertext') => ({
  table: 'webhook_endpoint',
  column,
  rowId: endpoint.id,
});

/** Webhook endpoints and their delivery log: registering, rotating secrets, switching on and off, replaying. */
@Injectable()
export class WebhookEndpoints {
  constructor(
    private readonly em: EntityManager,
    private readonly secrets: SecretBox,
    private readonly readings: ReadingsRepository,
  ) {}

  /**
   * Registers an endpoint; the secret is returned this once and stored only encrypted. Readings events start
   * from now: readings already stored are not sent (the change feed has them).
   */
  async create(input: {
    url: string;
    description?: string;
    eventTypes: WebhookEventType[];
    groupIds: string[];
  }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const em = this.em.fork();
    const endpoint = new WebhookEndpoint({ ...input, readingsThroughSeq: await this.readings.committedChangeSeq(em) });
    endpoint.description = input.description ?? '';
    const secret = newSigningSecret();
    endpoint.secretCiphertext = this.secrets.encrypt(secret, secretAt(endpoint, 'secret_ciphertext'));
    await em.persist(endpoint).flush();
    return { endpoint, secret };
  }

  /** A new secret, returned this once; the old one keeps signing alongside it for `ROTATION_OVERLAP_MS`. */
  async rotate(endpointId: string, now = new Date()): Promise<string | null> {
    const em = this.em.fork();
    const endpoint = await em.findOne(WebhookEndpoint, endpointId);
    if (!endpoint) return null;
    const current = this.secrets.decrypt(endpoint.secretCiphertext, secretAt(endpoint, 'secret_ciphertext'));
    const secret = newSigningSecret();
    endpoint.previousSecretCiphertext = this.secrets.encrypt(current, secretAt(endpoint, 'previous_secret_ciphertext'));
    endpoint.previousSecretUntil = new Date(now.getTime() + ROTATION_OVERLAP_MS);
    endpoint.secretCiphertext = this.secrets.encrypt(secret, secretAt(endpoint, 'secret_ciphertext'));
    await em.flush();
    return secret;
  }

  /** The secrets that sign at `now`: the current one, and the previous one during a rotation's overlap. */
  signingSecrets(endpoint: WebhookEndpoint, now = new Date()): string[] {
    const secrets = [this.secrets.decrypt(endpoint.secretCiphertext, secretAt(endpoint, 'secret_ciphertext'))];
    if (endpoint.previousSecretCiphertext && endpoint.previousSecretUntil && endpoint.previousSecretUntil > now)
      secrets.push(this.secrets.decrypt(endpoint.previousSecretCiphertext, secretAt(endpoint, 'previous_secret_ciphertext')));
    return secrets;
  }

  /**
   * Switches an endpoint on or off. Switched on again, its waiting deliveries get a fresh retry window and go
   * out at once, and readings events resume from where they stopped.
   */
  async setEnabled(endpointId: string, enabled: boolean, reason: string | null = null): Promise<WebhookEndpoint | null> {
    return this.em.fork().transactional(async (em) => {
      const endpoint = await em.findOne(WebhookEndpoint, endpointId);
      if (!endpoint) return null;
      endpoint.enabled = enabled;
      endpoint.disabledAt = enabled ? null : new Date();
      endpoint.disabledReason = enabled ? null : reason;
      if (enabled)
        await em.nativeUpdate(WebhookDelivery, { endpoint, status: 'pending' }, { nextAttemptAt: new Date(), firstAttemptAt: new Date() });
      return endpoint;
    });
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.em.fork().find(WebhookEndpoint, {}, { orderBy: { createdAt: 'asc' } });
  }

  find(endpointId: string): Promise<WebhookEndpoint | null> {
    return this.em.fork().findOne(WebhookEndpoint, endpointId);
  }

  /** The endpoint's newest deliveries first. */
  deliveries(endpointId: string, limit = 100): Promise<WebhookDelivery[]> {
    return this.em.fork().find(WebhookDelivery, { endpoint: endpointId }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
  }

  /** Sends a delivery again (same `webhook-id` and body), whatever became of it, with a fresh retry window. */
  async replay(deliveryId: string): Promise<WebhookDelivery | null> {
    const em = this.em.fork();
    const delivery = await em.findOne(WebhookDelivery, deliveryId);
    if (!delivery) return null;
    const now = new Date();
    Object.assign(delivery, { status: 'pending', nextAttemptAt: now, firstAttemptAt: now });
    await em.flush();
    return delivery;
  }
}
