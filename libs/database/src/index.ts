export * from './dsp-database.module.js';
export * from './dsp-entities.js';
export * from './dsp-orm.config.js';
export * from './embedded-postgres.js';
export * from './environment-stamp.entity.js';
export * from './environment-stamp.js';
export * from './migrate.js';
export { DSP_MIGRATIONS } from './migrations/index.js';
