import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';

/** The webhooks room's tables: endpoints and deliveries. */
export const WEBHOOK_ENTITIES = [WebhookEndpoint, WebhookDelivery];
