export { WebhookEndpoints } from './webhook-endpoints.service.js';
export { WEBHOOK_ENTITIES } from './webhook-entities.js';
export { WebhooksModule } from './webhooks.module.js';
