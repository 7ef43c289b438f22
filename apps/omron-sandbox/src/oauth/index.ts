export { OAuthModule } from './oauth.module.js';
export { SandboxAccessTokens, type AuthenticatedAccess } from './sandbox-access-tokens.service.js';
export { SandboxGrants, type AppGrant } from './sandbox-grants.service.js';
export { issueTestAccessToken } from './issue-test-access-token.js';
export { SANDBOX_SCOPES, isSandboxScope, type SandboxScope } from './scopes.js';
