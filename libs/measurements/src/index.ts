export * from './change-sequence.js';
export * from './measurement-kinds.js';
export * from './measurements.module.js';
export * from './reading.entity.js';
