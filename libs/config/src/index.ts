export { DatabaseEnvironment } from './database-environment.js';
export { DspConfig, OMRON_HOSTS, loadDspConfig } from './dsp-config.js';
export type { DatabaseSettings } from './dsp-config.js';
export { DspEnvironment, ENVIRONMENT_TYPES, HOST_PATTERN, LANGUAGES } from './dsp-environment.js';
export type { Language, NodeEnv } from './dsp-environment.js';
export { ConfigValidationError, environmentVariableNames, loadEnvironment } from './load-environment.js';
export type { RegionId } from './regions.js';
export { SandboxConfig, SandboxEnvironment, loadSandboxConfig, platformIdentityEnvFor } from './sandbox-environment.js';
export { ConfigModule } from './config.module.js';
