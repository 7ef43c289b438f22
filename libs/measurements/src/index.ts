export * from './change-sequence.js';
export * from './export-columns.catalogue.js';
export * from './measurement-kinds.js';
export * from './measurements.module.js';
export * from './reading-columns.catalogue.js';
export * from './reading.entity.js';
export * from './readings.repository.js';
