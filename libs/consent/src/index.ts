export * from './consent-flow.entity.js';
export * from './consent-link-open.entity.js';
export * from './participant-session.entity.js';
export * from './consent-scopes.js';
export * from './consent.module.js';
