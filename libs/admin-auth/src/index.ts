export * from './admin-account.entity.js';
