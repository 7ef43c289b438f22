export * from './json-shape.js';
export * from './measurement-errors.js';
export * from './measurement-request.js';
export * from './measurement-responses.js';
export * from './measurement-types.js';
export * from './spec-examples.js';
