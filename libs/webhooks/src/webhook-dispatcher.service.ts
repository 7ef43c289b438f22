import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { ProgramGroup } from '@opendsp/groups';
import { ReadingsRepository } from '@opendsp/measurements';
import { ConsentedParticipants, consentedInGroupsSql } from '@opendsp/participants';
import { OmronConnections } from '@opendsp/tokens';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';
import { WebhookEndpoints } from './webhook-endpoints.service.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.catalogue.js';
import { newMessageId, signedHeaders } from './webhook-signing.helpers.js';

/** Readings per `readings.changed` event at most (one change-feed page). */
export const READINGS_PER_EVENT = 500;
/** Deliveries one pass claims at most. */
const CLAIM_BATCH = 20;
/** Retries are never further apart than this. */
const MAX_RETRY_DELAY_SECONDS = 3600;

/**
 * SQL for another room's statement that queues its events in the same round trip as the change they describe
 * (libs/alerts: the alerts a page raised): the common table expressions `<prefix>_endpoints` and `<prefix>_queued`,
 * to put in a `with` list after a relation `events` with the columns `group_id` (uuid: the group's internal ID) and
 * `body` (text: the whole message, `{"type", "timestamp", "data"}`, as `emitWithin` makes it). Each event gets a
 * delivery for every enabled endpoint subscribed to `type` whose groups include its group, as `emitWithin` queues
 * them: the endpoints are read `FOR KEY SHARE` in ID order (one lock for all the events), the delivery's message
 * ID is `msg_` and 16 random bytes in base64url, its first attempt due at once. `type` is one of the catalogue's
 * constants, so its text depends only on the type and the relation's name.
 */
export function queueEventsSql(type: WebhookEventType, events: string, prefix = 'webhook'): string {
  if (!WEBHOOK_EVENT_TYPES.includes(type)) throw new Error(`Unknown webhook event type ${String(type)}`);
  return `${prefix}_endpoints as (
      select w.id, w.group_ids from webhook_endpoint w
       where w.enabled and w.event_types @> '["${type}"]'::jsonb
         and exists (select 1 from ${events} ev where w.group_ids @> jsonb_build_array(ev.group_id))
       order by w.id for key share),
    ${prefix}_queued as (
      insert into webhook_delivery (id, endpoint_id, event_type, body, status, attempts, next_attempt_at, first_attempt_at, created_at)
      select 'msg_' || translate(encode(substring(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())) from 1 for 16), 'base64'), '+/=', '-_'),
             w.id, '${type}', ev.body, 'pending', 0, clock_timestamp(), clock_timestamp(), clock_timestamp()
        from ${events} ev join ${prefix}_endpoints w on w.group_ids @> jsonb_build_array(ev.group_id)
      returning 1)`;
}

/**
 * Turns changes into events and sends them. Readings events follow the change feed per endpoint: the endpoint's
 * cursor moves in the same transaction that stores the event, so every change is in some delivery (at least
 * once). Deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease, so several workers share the work and
 * a delivery whose worker died goes out again after the lease.
 */
@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger(WebhookDispatcher.name);

  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly readings: ReadingsRepository,
    private readonly endpoints: WebhookEndpoints,
    private readonly connections: OmronConnections,
    private readonly participants: ConsentedParticipants,
  ) {}

  /** One pass: new readings into events, then every due delivery sent once. */
  async runOnce(): Promise<void> {
    await this.produceReadingsEvents();
    await this.produceConnectionEvents();
    while ((await this.sendDue()) === CLAIM_BATCH);
  }

  /** Makes `readings.changed` events for every enabled endpoint that has new readings in its groups. */
  async produceReadingsEvents(): Promise<number> {
    const ids = await this.em
      .fork()
      .getConnection()
      .execute<{ id: string }[]>(
        `select id from webhook_endpoint where enabled and event_types @> '["readings.changed"]'::jsonb and group_ids <> '[]'::jsonb`,
      );
    let made = 0;
    for (const { id } of ids) while (await this.produceOne(id)) made++;
    return made;
  }

  /** One event of at most READINGS_PER_EVENT readings for an endpoint; false when it had nothing new (or is busy elsewhere). */
  private produceOne(endpointId: string): Promise<boolean> {
    return this.em.fork().transactional(async (em) => {
      const [locked] = await em.execute<{ readings_through_seq: string; group_ids: string[] }[]>(
        `select readings_through_seq::text, group_ids from webhook_endpoint where id = ? and enabled for update skip locked`,
        [endpointId],
      );
      if (!locked) return false;
      const since = locked.readings_through_seq;
      const groups = `{${locked.group_ids.join(',')}}`;
      const rows = await this.readings.changeFeed(em, {
        since: Number(since),
        limit: READINGS_PER_EVENT,
        kinds: [],
        readable: (participantColumn) => ({
          sql: consentedInGroupsSql(participantColumn, 'e.group_id = any(?::uuid[])'),
          params: [groups],
        }),
      });
      if (rows.length === 0) return false;
      const through = rows.at(-1)!.change_seq;
      const changesUrl = `${this.config.http.publicBaseUrl}/api/v1/changes?since=${since}`;
      const range = { after_change_seq: since, through_change_seq: through, count: rows.length, changes_url: changesUrl };
      const timestamp = new Date().toISOString();
      let body = JSON.stringify({ type: 'readings.changed', timestamp, data: { ...range, readings: rows.map((row) => row.reading) } });
      // Too large for one request: the range and where to page it instead.
      if (Buffer.byteLength(body) > this.config.webhooks.maxPayloadBytes)
        body = JSON.stringify({ type: 'readings.changed', timestamp, data: { ...range, readings_omitted: true } });
      em.persist(new WebhookDelivery(newMessageId(), em.getReference(WebhookEndpoint, endpointId), 'readings.changed', body));
      await em.nativeUpdate(WebhookEndpoint, { id: endpointId }, { readingsThroughSeq: through });
      return true;
    });
  }

  /**
   * Makes `connection.reconnect_needed` events by following libs/tokens' connection state changes per endpoint
   * (its cursor moves in the transaction that stores the events), for participants enrolled in its groups.
   */
  async produceConnectionEvents(): Promise<number> {
    const ids = await this.em
      .fork()
      .getConnection()
      .execute<{ id: string }[]>(
        `select id from webhook_endpoint where enabled and event_types @> '["connection.reconnect_needed"]'::jsonb and group_ids <> '[]'::jsonb`,
      );
    let made = 0;
    for (const { id } of ids) made += await this.produceConnectionEventsOf(id);
    return made;
  }

  private produceConnectionEventsOf(endpointId: string): Promise<number> {
    return this.em.fork().transactional(async (em) => {
      const [locked] = await em.execute<{ connection_events_through_id: string; group_ids: string[] }[]>(
        `select connection_events_through_id::text, group_ids from webhook_endpoint where id = ? and enabled for update skip locked`,
        [endpointId],
      );
      if (!locked) return 0;
      const changes = await this.connections.transitionsTo(em, 'reconnect_needed', locked.connection_events_through_id, 500);
      if (changes.length === 0) return 0;
      const groups = new Map(
        (await em.find(ProgramGroup, { id: { $in: locked.group_ids } }, { fields: ['id', 'groupId'] })).map((group) => [
          group.id,
          group.groupId,
        ]),
      );
      let made = 0;
      for (const change of changes) {
        const participant = await this.participants.withOmronUser(em, change.omronUserId);
        if (!participant) continue;
        const enrolled = (await this.participants.groupsOf(em, [participant.id], [...groups.keys()])).get(participant.id) ?? [];
        if (enrolled.length === 0) continue;
        const ogscId = (await this.participants.ogscIds(em, [participant.id])).get(participant.id);
        const body = JSON.stringify({
          type: 'connection.reconnect_needed',
          timestamp: new Date().toISOString(),
          data: {
            ogsc_id: ogscId,
            group_ids: enrolled.map((id) => groups.get(id)).sort(),
            reason: change.reason,
            occurred_at: new Date(change.occurredAt).toISOString(),
          },
        });
        em.persist(new WebhookDelivery(newMessageId(), em.getReference(WebhookEndpoint, endpointId), 'connection.reconnect_needed', body));
        made++;
      }
      await em.nativeUpdate(WebhookEndpoint, { id: endpointId }, { connectionEventsThroughId: changes.at(-1)!.id });
      return made;
    });
  }

  /**
   * Queues an event for every enabled endpoint subscribed to its type whose groups include `groupId` (the
   * public ID), inside the caller's transaction: the deliveries commit, or roll back, with the change they
   * describe (a consent or a withdrawal, an alert raised while a page of readings is written), and are the
   * durable outbox from then on. The endpoints are read `FOR KEY SHARE`: an endpoint deleted meanwhile is
   * skipped (its deletion waits for this transaction), so the caller's change never fails on a vanished
   * endpoint, and sending or editing endpoints is not held up. Returns how many were queued.
   */
  async emitWithin(em: EntityManager, type: WebhookEventType, groupId: string, data: Record<string, unknown>): Promise<number> {
    const group = await em.findOne(ProgramGroup, { groupId }, { fields: ['id'] });
    if (!group) return 0;
    const endpoints = await em.execute<{ id: string }[]>(
      `select id from webhook_endpoint where enabled and event_types @> ?::jsonb and group_ids @> ?::jsonb order by id for key share`,
      [JSON.stringify([type]), JSON.stringify([group.id])],
    );
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    for (const { id } of endpoints) em.persist(new WebhookDelivery(newMessageId(), em.getReference(WebhookEndpoint, id), type, body));
    await em.flush();
    return endpoints.length;
  }

  /** Claims up to CLAIM_BATCH due deliveries and sends each once; returns how many it claimed. */
  async sendDue(): Promise<number> {
    const lease = 2 * this.config.webhooks.timeoutSeconds + 5;
    const claimed = await this.em
      .fork()
      .getConnection()
      .execute<{ id: string }[]>(
        `update webhook_delivery set next_attempt_at = now() + make_interval(secs => ?)
          where id in (select d.id from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
                        where d.status = 'pending' and d.next_attempt_at <= now() and e.enabled
                        order by d.next_attempt_at limit ? for update of d skip locked)
          returning id`,
        [lease, CLAIM_BATCH],
      );
    await Promise.all(claimed.map(({ id }) => this.attempt(id)));
    return claimed.length;
  }

  private async attempt(deliveryId: string): Promise<void> {
    const em = this.em.fork();
    const delivery = await em.findOne(WebhookDelivery, deliveryId, { populate: ['endpoint'] });
    if (!delivery) return;
    const endpoint = delivery.endpoint;
    const now = new Date();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      // Checked before every attempt too: a name may come to resolve into the platform's own network.
      if (!(await this.endpoints.allowedUrl(endpoint.url))) throw new Error('the host resolves to a private address');
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'OpenDSP-Webhooks',
          ...signedHeaders(delivery.id, now, delivery.body, this.endpoints.signingSecrets(endpoint, now)),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.webhooks.timeoutSeconds * 1000),
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (failure) {
      error = (failure instanceof Error ? (failure.cause as Error | undefined)?.message || failure.message : String(failure)).slice(0, 500);
    }
    delivery.attempts++;
    delivery.lastAttemptAt = now;
    delivery.lastStatusCode = statusCode;
    delivery.lastError = error;
    if (!error) {
      delivery.status = 'succeeded';
      delivery.nextAttemptAt = null;
    } else if (now.getTime() - delivery.firstAttemptAt.getTime() >= this.config.webhooks.giveUpSeconds * 1000) {
      delivery.status = 'failed';
      delivery.nextAttemptAt = null;
      if (endpoint.enabled) {
        endpoint.enabled = false;
        endpoint.disabledAt = now;
        endpoint.disabledReason = 'failing';
        this.logger.warn({ endpoint: endpoint.id, delivery: delivery.id }, 'webhook endpoint disabled: deliveries kept failing');
      }
    } else {
      const delay = Math.min(this.config.webhooks.retryBaseSeconds * 2 ** (delivery.attempts - 1), MAX_RETRY_DELAY_SECONDS);
      delivery.nextAttemptAt = new Date(now.getTime() + delay * 1000);
    }
    await em.flush();
  }
}
