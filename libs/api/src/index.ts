export { ApiModule } from './api.module.js';
export { ApiDisabledModule } from './disabled/api-disabled.module.js';
export { API_SCOPE_NAMES, formatScopes } from './api-scopes.js';
export type { ApiScope } from './api-scopes.js';
export { API_ENTITIES, ApiClient, ApiClientGroup } from './clients/api-client.entity.js';
export { ApiClientsService } from './clients/api-clients.service.js';
export { hashCredential, newClientSecret } from './clients/client-credentials.js';
export { buildOpenApiDocument, serializeOpenApiDocument, setupApiDocs } from './openapi/openapi-document.js';
export { ApiProblemFilter } from './problems/api-problem.filter.js';
