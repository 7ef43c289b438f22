import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsUrl, Matches, Max, Min } from 'class-validator';
import { DatabaseEnvironment, toInt } from './database-environment.js';
import { HOST_PATTERN, LOG_LEVELS, NODE_ENVS, type LogLevel, type NodeEnv } from './dsp-environment.js';
import { ConfigValidationError, loadEnvironment } from './load-environment.js';

/** Every variable the OMRON sandbox reads. It shares DATABASE_URL with the platform and keeps its own schema. */
export class SandboxEnvironment extends DatabaseEnvironment {
  @IsIn(NODE_ENVS, { message: `NODE_ENV: must be one of ${NODE_ENVS.join(', ')}` })
  NODE_ENV: NodeEnv = 'production';

  @Matches(HOST_PATTERN, { message: 'SANDBOX_HOST: must be an IP address or host name to listen on' })
  SANDBOX_HOST: string = '127.0.0.1';

  @Transform(toInt)
  @Min(1, { message: 'SANDBOX_PORT: must be a port number' })
  @Max(65535, { message: 'SANDBOX_PORT: must be a port number' })
  @IsInt({ message: 'SANDBOX_PORT: must be a port number' })
  SANDBOX_PORT: number = 3100;

  /** The address clients use to reach the sandbox; the id_token issuer and page links are built on it. */
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'SANDBOX_PUBLIC_URL: must be an absolute http(s) URL' },
  )
  SANDBOX_PUBLIC_URL!: string;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';
}

/** The sandbox's configuration, validated at boot. */
export class SandboxConfig {
  readonly nodeEnv: NodeEnv;
  readonly http: { host: string; port: number; publicUrl: string };
  readonly log: { level: LogLevel; pretty: boolean };
  readonly database: { url: string; poolMax: number };

  constructor(env: SandboxEnvironment, databaseUrl: string) {
    this.nodeEnv = env.NODE_ENV;
    this.http = { host: env.SANDBOX_HOST, port: env.SANDBOX_PORT, publicUrl: env.SANDBOX_PUBLIC_URL.replace(/\/+$/, '') };
    this.log = { level: env.LOG_LEVEL, pretty: env.NODE_ENV === 'development' };
    this.database = { url: databaseUrl, poolMax: env.DATABASE_POOL_MAX };
  }
}

export function loadSandboxConfig(env: Record<string, string | undefined>): SandboxConfig {
  const parsed = loadEnvironment(SandboxEnvironment, { ...env });
  if (!parsed.DATABASE_URL) throw new ConfigValidationError(['DATABASE_URL: required to run the sandbox on its own']);
  return new SandboxConfig(parsed, parsed.DATABASE_URL);
}
