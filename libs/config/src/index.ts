export * from './database-environment.js';
export * from './dsp-config.js';
export * from './dsp-environment.js';
export * from './load-environment.js';
export * from './regions.js';
export * from './sandbox-environment.js';
export { isIanaTimeZone, isIpv4AddressOrCidr } from './validators.js';
export * from './config.module.js';
