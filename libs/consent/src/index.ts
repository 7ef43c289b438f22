export { ConsentFlow } from './consent-flow.entity.js';
export { ConsentLinkOpen } from './consent-link-open.entity.js';
export { ParticipantSession } from './participant-session.entity.js';
export { consentScopes, dataScopesOf } from './consent-scopes.rules.js';
export { ConsentModule } from './consent.module.js';
