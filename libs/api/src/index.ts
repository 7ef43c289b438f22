export { ApiModule } from './api.module.js';
export { ApiDisabledModule } from './disabled/api-disabled.module.js';
export { API_SCOPE_NAMES, formatScopes } from './api-scopes.catalogue.js';
export type { ApiScope } from './api-scopes.catalogue.js';
export { API_ENTITIES, ApiClient, ApiClientGroup } from './clients/api-client.entity.js';
export { ApiClientsService } from './clients/api-clients.service.js';
export { hashCredential, newClientSecret } from './clients/client-credentials.helpers.js';
export { buildOpenApiDocument, serializeOpenApiDocument, setupApiDocs } from './openapi/openapi-document.helpers.js';
export { ApiProblemFilter } from './problems/api-problem.filter.js';
