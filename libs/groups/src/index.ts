export * from './group-id.js';
export * from './program-group.entity.js';
