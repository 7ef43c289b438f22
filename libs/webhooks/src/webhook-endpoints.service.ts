import { Injectable, NotFoundException } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { vetHost } from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { ReadingsRepository } from '@opendsp/measurements';
import { OmronConnections } from '@opendsp/tokens';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import type { WebhookEventType } from './webhook-events.catalogue.js';
import { newSigningSecret } from './webhook-signing.helpers.js';

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,100}$/;

const secretAt = (endpoint: WebhookEndpoint, column: 'secret_ciphertext' | 'previous_secret_ciphertext') => ({
  table: 'webhook_endpoint',
  column,
  rowId: endpoint.id,
});

/** What an admin gives for a new endpoint, or an endpoint's new settings; groups by their public IDs. */
export interface WebhookEndpointInput {
  url: string;
  description?: string;
  eventTypes: WebhookEventType[];
  groupIds: string[];
}

type EndpointOutcome = { ok: true; endpoint: WebhookEndpoint } | { ok: false; errors: Record<string, string> };

/**
 * Webhook endpoints and their delivery log: registering, editing, deleting, rotating secrets, switching on and off, replaying.
 * Every admin action writes its audit row in the transaction that makes the change; secrets are never audited.
 */
@Injectable()
export class WebhookEndpoints {
  constructor(
    private readonly em: EntityManager,
    private readonly secrets: SecretBox,
    private readonly readings: ReadingsRepository,
    private readonly audit: AuditLog,
    private readonly connections: OmronConnections,
    private readonly config: DspConfig,
  ) {}

  /** False when the URL's host is, or resolves into, a private or metadata range (unless WEBHOOK_ALLOW_PRIVATE_HOSTS). */
  async allowedUrl(url: string): Promise<boolean> {
    return (await vetHost(new URL(url).hostname, this.config.webhooks.allowPrivateHosts)).allowed;
  }

  /**
   * Registers an endpoint; the secret is returned this once and stored only encrypted. Readings events start
   * from now: readings already stored are not sent (the change feed has them), nor earlier connection changes.
   */
  async create(
    input: WebhookEndpointInput,
    actor: AuditActor,
  ): Promise<{ ok: true; endpoint: WebhookEndpoint; secret: string } | { ok: false; errors: Record<string, string> }> {
    if (!(await this.allowedUrl(input.url))) return { ok: false, errors: { url: 'webhooks.url_private' } };
    const through = await this.readings.committedChangeSeq(this.em.fork());
    const connectionEventsThroughId = await this.connections.lastTransitionId(this.em.fork());
    return this.em.fork().transactional(async (em) => {
      const groups = await em.find(ProgramGroup, { groupId: { $in: input.groupIds } });
      if (groups.length !== new Set(input.groupIds).size) return { ok: false as const, errors: { groupIds: 'webhooks.groups_unknown' } };
      const endpoint = new WebhookEndpoint({
        url: input.url,
        eventTypes: input.eventTypes,
        groupIds: groups.map((group) => group.id),
        readingsThroughSeq: through,
        connectionEventsThroughId,
      });
      endpoint.description = input.description ?? '';
      const secret = newSigningSecret();
      endpoint.secretCiphertext = this.secrets.encrypt(secret, secretAt(endpoint, 'secret_ciphertext'));
      em.persist(endpoint);
      this.audit.record(em, {
        action: 'webhook_endpoint.created',
        actor,
        target: { type: 'webhook_endpoint', id: endpoint.id },
        detail: { url: endpoint.url, eventTypes: endpoint.eventTypes, groupIds: input.groupIds },
      });
      return { ok: true as const, endpoint, secret };
    });
  }

  /**
   * Changes an endpoint's URL (checked as at creation), description, event types and groups; the secret and the
   * waiting deliveries stay (they go to the new URL). An event type it newly subscribes to starts from now, as
   * for a new endpoint: readings or connection changes from before are not sent. Readings not yet turned into
   * events follow the new groups. 404 for an unknown endpoint; errors for the form otherwise, changing nothing.
   */
  async update(endpointId: string, input: WebhookEndpointInput, actor: AuditActor): Promise<EndpointOutcome> {
    await this.get(endpointId);
    if (!(await this.allowedUrl(input.url))) return { ok: false, errors: { url: 'webhooks.url_private' } };
    const through = await this.readings.committedChangeSeq(this.em.fork());
    const connectionEventsThroughId = await this.connections.lastTransitionId(this.em.fork());
    return this.em.fork().transactional(async (em) => {
      // Locked: the dispatcher moves the cursors under the same lock (it skips the endpoint meanwhile).
      const endpoint = await this.get(endpointId, em, LockMode.PESSIMISTIC_WRITE);
      const groups = await em.find(ProgramGroup, { groupId: { $in: input.groupIds } });
      if (groups.length !== new Set(input.groupIds).size) return { ok: false as const, errors: { groupIds: 'webhooks.groups_unknown' } };
      const before = await this.describe(em, endpoint);
      const newly = (type: WebhookEventType) => input.eventTypes.includes(type) && !endpoint.eventTypes.includes(type);
      if (newly('readings.changed')) endpoint.readingsThroughSeq = through;
      if (newly('connection.reconnect_needed')) endpoint.connectionEventsThroughId = connectionEventsThroughId;
      Object.assign(endpoint, {
        url: input.url,
        description: input.description ?? '',
        eventTypes: [...new Set(input.eventTypes)],
        groupIds: groups.map((group) => group.id),
      });
      this.audit.record(em, {
        action: 'webhook_endpoint.updated',
        actor,
        target: { type: 'webhook_endpoint', id: endpoint.id },
        detail: { before, after: await this.describe(em, endpoint) },
      });
      return { ok: true as const, endpoint };
    });
  }

  /**
   * Deletes an endpoint with its delivery log: nothing more is made or sent for it (an attempt already under
   * way finishes). The audit row keeps what it was and how many messages went with it, waiting ones included.
   */
  async remove(endpointId: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      // Waits for a dispatcher pass or an event being queued for it to commit, so nothing is left half made.
      const endpoint = await this.get(endpointId, em, LockMode.PESSIMISTIC_WRITE);
      const log = await this.logSize(endpoint.id, em);
      this.audit.record(em, {
        action: 'webhook_endpoint.deleted',
        actor,
        target: { type: 'webhook_endpoint', id: endpoint.id },
        detail: { ...(await this.describe(em, endpoint)), deliveriesDeleted: log.deliveries, pendingDropped: log.pending },
      });
      // The delivery log goes with it (`on delete cascade`).
      em.remove(endpoint);
    });
  }

  /** How many messages an endpoint's delivery log holds, and how many of them wait to be sent. */
  async logSize(endpointId: string, em = this.em.fork()): Promise<{ deliveries: number; pending: number }> {
    const [log] = await em.execute<{ deliveries: number; pending: number }[]>(
      `select count(*)::int as deliveries, (count(*) filter (where status = 'pending'))::int as pending
         from webhook_delivery where endpoint_id = ?`,
      [endpointId],
    );
    return log;
  }

  /** What the audit log keeps of an endpoint's settings (never its secrets); groups by their public IDs. */
  private async describe(em: EntityManager, endpoint: WebhookEndpoint): Promise<Record<string, unknown>> {
    const groups = await em.find(ProgramGroup, { id: { $in: endpoint.groupIds } }, { fields: ['groupId'], orderBy: { groupId: 'asc' } });
    return {
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
      groupIds: groups.map((group) => group.groupId),
    };
  }

  /** A new secret, returned this once; the old one keeps signing alongside it for `ROTATION_OVERLAP_MS`. */
  async rotate(endpointId: string, actor: AuditActor, now = new Date()): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    return this.em.fork().transactional(async (em) => {
      const endpoint = await this.get(endpointId, em);
      const current = this.secrets.decrypt(endpoint.secretCiphertext, secretAt(endpoint, 'secret_ciphertext'));
      const secret = newSigningSecret();
      endpoint.previousSecretCiphertext = this.secrets.encrypt(current, secretAt(endpoint, 'previous_secret_ciphertext'));
      endpoint.previousSecretUntil = new Date(now.getTime() + ROTATION_OVERLAP_MS);
      endpoint.secretCiphertext = this.secrets.encrypt(secret, secretAt(endpoint, 'secret_ciphertext'));
      this.audit.record(em, {
        action: 'webhook_endpoint.secret_rotated',
        actor,
        target: { type: 'webhook_endpoint', id: endpoint.id },
        detail: { url: endpoint.url, previousSecretUntil: endpoint.previousSecretUntil.toISOString() },
      });
      return { endpoint, secret };
    });
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
  async setEnabled(endpointId: string, enabled: boolean, actor: AuditActor): Promise<WebhookEndpoint> {
    return this.em.fork().transactional(async (em) => {
      const endpoint = await this.get(endpointId, em);
      const now = new Date();
      endpoint.enabled = enabled;
      endpoint.disabledAt = enabled ? null : now;
      endpoint.disabledReason = enabled ? null : 'admin';
      if (enabled) await em.nativeUpdate(WebhookDelivery, { endpoint, status: 'pending' }, { nextAttemptAt: now, firstAttemptAt: now });
      this.audit.record(em, {
        action: enabled ? 'webhook_endpoint.enabled' : 'webhook_endpoint.disabled',
        actor,
        target: { type: 'webhook_endpoint', id: endpoint.id },
        detail: { url: endpoint.url },
      });
      return endpoint;
    });
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.em.fork().find(WebhookEndpoint, {}, { orderBy: { createdAt: 'asc' } });
  }

  /** The endpoint; 404 for an unknown or malformed ID. */
  async get(endpointId: string, em = this.em.fork(), lockMode?: LockMode): Promise<WebhookEndpoint> {
    const endpoint = UUID.test(endpointId) ? await em.findOne(WebhookEndpoint, endpointId, lockMode ? { lockMode } : {}) : null;
    if (!endpoint) throw new NotFoundException();
    return endpoint;
  }

  /** The public IDs and names of an endpoint's groups. */
  groupsOf(endpoint: WebhookEndpoint): Promise<ProgramGroup[]> {
    return this.em.fork().find(ProgramGroup, { id: { $in: endpoint.groupIds } }, { orderBy: { displayName: 'asc' } });
  }

  /** Groups an endpoint may be given: the active ones, and those it has already (archived or not). */
  groupChoices(endpoint?: WebhookEndpoint): Promise<ProgramGroup[]> {
    return this.em
      .fork()
      .find(
        ProgramGroup,
        { $or: [{ archivedAt: null }, { id: { $in: endpoint?.groupIds ?? [] } }] },
        { orderBy: { displayName: 'asc', groupId: 'asc' }, limit: 1000 },
      );
  }

  /** The endpoint's newest deliveries first. */
  deliveries(endpointId: string, limit = 100): Promise<WebhookDelivery[]> {
    return this.em.fork().find(WebhookDelivery, { endpoint: endpointId }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
  }

  /** Sends a delivery again (same `webhook-id` and body), whatever became of it, with a fresh retry window. */
  async replay(endpointId: string, deliveryId: string, actor: AuditActor): Promise<WebhookDelivery> {
    return this.em.fork().transactional(async (em) => {
      const endpoint = await this.get(endpointId, em);
      const delivery = MESSAGE_ID.test(deliveryId) ? await em.findOne(WebhookDelivery, { id: deliveryId, endpoint }) : null;
      if (!delivery) throw new NotFoundException();
      const now = new Date();
      Object.assign(delivery, { status: 'pending', nextAttemptAt: now, firstAttemptAt: now });
      this.audit.record(em, {
        action: 'webhook_delivery.replayed',
        actor,
        target: { type: 'webhook_delivery', id: delivery.id },
        detail: { endpointId: endpoint.id, eventType: delivery.eventType },
      });
      return delivery;
    });
  }
}
