import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { DatabaseEnvironment, toInt } from './database-environment.rules.js';
import { HOST_PATTERN, LOG_LEVELS, NODE_ENVS, type LogLevel, type NodeEnv } from './dsp-environment.rules.js';
import { ConfigValidationError, loadEnvironment } from './load-environment.helpers.js';
import { splitList } from './validators.decorators.js';

/** How the emulated OAuth server treats a refresh token once it has been used. */
export const REFRESH_ROTATIONS = ['rotate', 'keep', 'omit'] as const;
export type RefreshRotation = (typeof REFRESH_ROTATIONS)[number];

/**
 * The shape of the token endpoint's answers. `spec-example`: exactly the fields of the Partner API spec's example
 * (no id_token; the access token is a Cognito-style ID token, RS256, issued by a user pool URL to an app client
 * that is not the partner's client ID; camelCase `expiresIn`/`tokenType`). `oidc`: an OpenID Connect answer with
 * an `id_token` whose `aud` is the client ID, both casings of the lifetime and type.
 */
export const TOKEN_PROFILES = ['spec-example', 'oidc'] as const;
export type TokenProfile = (typeof TOKEN_PROFILES)[number];

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

  /** Lifetime of the access tokens the emulated OAuth server issues (`expires_in`). */
  @Transform(toInt)
  @Min(1, { message: 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS: must be between 1 and 2592000' })
  @Max(2_592_000, { message: 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS: must be between 1 and 2592000' })
  @IsInt({ message: 'SANDBOX_ACCESS_TOKEN_TTL_SECONDS: must be a whole number of seconds' })
  SANDBOX_ACCESS_TOKEN_TTL_SECONDS: number = 3600;

  /**
   * `rotate`: every refresh returns a new refresh token and retires the old one; `keep`: the same one stays
   * valid and is returned again; `omit`: it stays valid and the response leaves it out.
   */
  @IsIn(REFRESH_ROTATIONS, { message: `SANDBOX_REFRESH_ROTATION: must be one of ${REFRESH_ROTATIONS.join(', ')}` })
  SANDBOX_REFRESH_ROTATION: RefreshRotation = 'rotate';

  /** Under rotation, a retired refresh token presented again revokes its whole token family. */
  @IsIn(['true', 'false'], { message: 'SANDBOX_REFRESH_REUSE_DETECTION: must be true or false' })
  SANDBOX_REFRESH_REUSE_DETECTION: string = 'true';

  /** How the token endpoint answers (see TOKEN_PROFILES); `spec-example` by default, as OMRON's spec shows it. */
  @IsIn(TOKEN_PROFILES, { message: `SANDBOX_TOKEN_PROFILE: must be one of ${TOKEN_PROFILES.join(', ')}` })
  SANDBOX_TOKEN_PROFILE: TokenProfile = 'spec-example';

  /** The emulated Cognito user pool of the spec-example profile; its issuer is `{SANDBOX_PUBLIC_URL}/cognito-idp/{pool}`. */
  @Matches(/^[a-z]{2}-[a-z]+-\d_[A-Za-z0-9]{1,40}$/, { message: 'SANDBOX_COGNITO_POOL_ID: a user pool ID such as us-west-2_mkXRIn5uQ' })
  SANDBOX_COGNITO_POOL_ID: string = 'us-west-2_SandboxPool';

  /** The Cognito app client the spec-example profile's tokens name as `aud` (never the partner's client ID). */
  @Matches(/^[a-z0-9]{8,128}$/, { message: 'SANDBOX_COGNITO_APP_CLIENT_ID: lower-case letters and digits (8 to 128)' })
  SANDBOX_COGNITO_APP_CLIENT_ID: string = '5andb0xapp0c1ient0000000000';

  /** A JSON file of registered apps created at boot when missing (see docs/sandbox-oauth.md). */
  @IsOptional()
  @IsString({ message: 'SANDBOX_APPS_FILE: must be a file path' })
  SANDBOX_APPS_FILE?: string;

  /**
   * Bearer token for the sandbox's admin JSON API. Without it the admin API is open, which only development
   * and tests may have: with NODE_ENV=production the sandbox refuses to start without it.
   */
  @IsOptional()
  @MinLength(16, { message: 'SANDBOX_ADMIN_TOKEN: must be at least 16 characters' })
  SANDBOX_ADMIN_TOKEN?: string;

  /** Measurement API requests one client may make per minute before it gets HTTP 429 (overridable per client). */
  @Transform(toInt)
  @Min(1, { message: 'SANDBOX_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000' })
  @Max(1_000_000, { message: 'SANDBOX_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000' })
  @IsInt({ message: 'SANDBOX_RATE_LIMIT_PER_MINUTE: must be a whole number' })
  SANDBOX_RATE_LIMIT_PER_MINUTE: number = 60;

  /** Seconds to wait before each retry of a notification that failed; after the last, it is given up. */
  @Transform(({ value }: { value: unknown }) => splitList(value))
  @Matches(/^\d{1,6}$/, {
    each: true,
    message: 'SANDBOX_NOTIFICATION_RETRY_SECONDS: comma-separated whole numbers of seconds, e.g. 10,60,300',
  })
  SANDBOX_NOTIFICATION_RETRY_SECONDS: string[] = ['10', '60', '300', '1800', '7200'];
}

/** The sandbox's configuration, validated at boot. */
export class SandboxConfig {
  readonly nodeEnv: NodeEnv;
  readonly http: { host: string; port: number; publicUrl: string };
  readonly log: { level: LogLevel; pretty: boolean };
  readonly database: { url: string; poolMax: number };
  readonly oauth: {
    accessTokenTtlSeconds: number;
    refreshRotation: RefreshRotation;
    refreshReuseDetection: boolean;
    appsFile: string | undefined;
    tokenProfile: TokenProfile;
    /** The spec-example profile's emulated Cognito user pool: issuer URL and app client ID (`aud`). */
    cognito: { poolId: string; issuer: string; appClientId: string };
  };
  readonly adminToken: string | undefined;
  readonly rateLimit: { requestsPerMinute: number };
  readonly notifications: { retryDelaysSeconds: number[] };

  constructor(env: SandboxEnvironment, databaseUrl: string) {
    this.nodeEnv = env.NODE_ENV;
    this.http = { host: env.SANDBOX_HOST, port: env.SANDBOX_PORT, publicUrl: env.SANDBOX_PUBLIC_URL.replace(/\/+$/, '') };
    this.log = { level: env.LOG_LEVEL, pretty: env.NODE_ENV === 'development' };
    this.database = { url: databaseUrl, poolMax: env.DATABASE_POOL_MAX };
    this.oauth = {
      accessTokenTtlSeconds: env.SANDBOX_ACCESS_TOKEN_TTL_SECONDS,
      refreshRotation: env.SANDBOX_REFRESH_ROTATION,
      refreshReuseDetection: env.SANDBOX_REFRESH_REUSE_DETECTION === 'true',
      appsFile: env.SANDBOX_APPS_FILE || undefined,
      tokenProfile: env.SANDBOX_TOKEN_PROFILE,
      cognito: {
        poolId: env.SANDBOX_COGNITO_POOL_ID,
        issuer: cognitoIssuer(this.http.publicUrl, env.SANDBOX_COGNITO_POOL_ID),
        appClientId: env.SANDBOX_COGNITO_APP_CLIENT_ID,
      },
    };
    this.adminToken = env.SANDBOX_ADMIN_TOKEN || undefined;
    this.rateLimit = { requestsPerMinute: env.SANDBOX_RATE_LIMIT_PER_MINUTE };
    this.notifications = { retryDelaysSeconds: env.SANDBOX_NOTIFICATION_RETRY_SECONDS.map(Number) };
  }
}

/** The issuer of the sandbox's emulated Cognito user pool (its keys are at `{issuer}/.well-known/jwks.json`, as Cognito's). */
export function cognitoIssuer(sandboxPublicUrl: string, poolId: string): string {
  return `${sandboxPublicUrl.replace(/\/+$/, '')}/cognito-idp/${poolId}`;
}

/**
 * The platform settings that verify the identity tokens a sandbox issues: for `spec-example`, its emulated
 * Cognito pool as issuer and its app client as audience; for `oidc`, the token host's issuer (the platform's
 * defaults, given explicitly). Used by `npm start` and the tests; user-set variables win.
 */
export function platformIdentityEnvFor(
  sandbox: SandboxConfig,
): Record<'OMRON_ID_TOKEN_ISSUER' | 'OMRON_ID_TOKEN_AUDIENCE', string | undefined> {
  if (sandbox.oauth.tokenProfile === 'spec-example') {
    return { OMRON_ID_TOKEN_ISSUER: sandbox.oauth.cognito.issuer, OMRON_ID_TOKEN_AUDIENCE: sandbox.oauth.cognito.appClientId };
  }
  return { OMRON_ID_TOKEN_ISSUER: `${sandbox.http.publicUrl}/stg`, OMRON_ID_TOKEN_AUDIENCE: undefined };
}

export function loadSandboxConfig(env: Record<string, string | undefined>): SandboxConfig {
  const parsed = loadEnvironment(SandboxEnvironment, { ...env });
  const problems = [
    ...(parsed.DATABASE_URL ? [] : ['DATABASE_URL: required to run the sandbox on its own']),
    ...(parsed.NODE_ENV === 'production' && !parsed.SANDBOX_ADMIN_TOKEN
      ? ['SANDBOX_ADMIN_TOKEN: required in production (without it anyone who reaches the sandbox can read and rotate client secrets)']
      : []),
  ];
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return new SandboxConfig(parsed, parsed.DATABASE_URL!);
}
