export { DatabaseEnvironment } from './database-environment.rules.js';
export { DspConfig, OMRON_HOSTS, loadDspConfig } from './dsp-config.service.js';
export type { DatabaseSettings } from './dsp-config.service.js';
export { DspEnvironment, ENVIRONMENT_TYPES, HOST_PATTERN, LANGUAGES } from './dsp-environment.rules.js';
export type { Language, NodeEnv } from './dsp-environment.rules.js';
export { ConfigValidationError, environmentVariableNames, loadEnvironment } from './load-environment.helpers.js';
export type { RegionId } from './regions.catalogue.js';
export { SandboxConfig, SandboxEnvironment, loadSandboxConfig, platformIdentityEnvFor } from './sandbox-environment.rules.js';
export { ConfigModule } from './config.module.js';
