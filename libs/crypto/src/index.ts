export * from './crypto.module.js';
export * from './secret-box.js';
