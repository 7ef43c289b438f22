export { WEBHOOK_ENTITIES } from './webhook.entities.js';
export { WebhooksModule } from './webhooks.module.js';
export { WebhooksPortalModule } from './webhooks-portal.module.js';
export { webhooksOpenApi } from './webhook-openapi.helpers.js';
export { queueEventsSql } from './webhook-dispatcher.service.js';
