import { Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { DatabaseEnvironment, toInt } from './database-environment.rules.js';
import { REGION_IDS, type RegionId } from './regions.catalogue.js';
import { CountriesInRegion, IsEncryptionKeyList, IsIanaTimeZone, IsIpv4CidrList, splitList } from './validators.decorators.js';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const PROCESS_ROLES = ['web', 'worker', 'all'] as const;
export const ENVIRONMENT_TYPES = ['staging', 'production'] as const;
export const LANGUAGES = ['ja', 'en'] as const;
export const DATA_TRANSFER_METHODS = ['api', 'sftp', 'csv'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type NodeEnv = (typeof NODE_ENVS)[number];
export type ProcessRole = (typeof PROCESS_ROLES)[number];
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];
export type Language = (typeof LANGUAGES)[number];
export type DataTransferMethod = (typeof DATA_TRANSFER_METHODS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An IPv4/IPv6 address or a host name, the forms `listen()` accepts. */
export const HOST_PATTERN = /^([0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)$/;

const oneOf = (name: string, values: readonly string[]) => ({ message: `${name}: must be one of ${values.join(', ')}` });
const httpUrl = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Every variable the DSP platform reads, named exactly as in `.env.example`. The DSP_* block is the
 * "Schedule and Required Information" list of the DSP onboarding document: the facts that define
 * one isolated DSP environment.
 */
export class DspEnvironment extends DatabaseEnvironment {
  @IsIn(NODE_ENVS, oneOf('NODE_ENV', NODE_ENVS))
  NODE_ENV: NodeEnv = 'production';

  @IsIn(PROCESS_ROLES, oneOf('PROCESS_ROLE', PROCESS_ROLES))
  PROCESS_ROLE: ProcessRole = 'all';

  /**
   * How much lower a PROCESS_ROLE=worker process runs than it was started (added to its niceness, as `nice -n`,
   * up to 19): its work is throughput, the web role's is latency. 0 (the default) leaves it alone; web and all are
   * never lowered. Off by default: on a host kept busy by other work, a niced worker was starved (docs/sync.md).
   */
  @Transform(toInt)
  @Min(0, { message: 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)' })
  @Max(19, { message: 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)' })
  @IsInt({ message: 'WORKER_NICE: must be a whole number from 0 (unchanged) to 19 (lowest CPU priority)' })
  WORKER_NICE: number = 0;

  @Matches(HOST_PATTERN, { message: 'HOST: must be an IP address or host name to listen on' })
  HOST: string = '127.0.0.1';

  @Transform(toInt)
  @Min(1, { message: 'PORT: must be a port number' })
  @Max(65535, { message: 'PORT: must be a port number' })
  @IsInt({ message: 'PORT: must be a port number' })
  PORT: number = 3000;

  /** The address participants and admins use to reach the platform; consent links and redirects are built on it. */
  @IsUrl(httpUrl, { message: 'PUBLIC_BASE_URL: must be an absolute http(s) URL' })
  PUBLIC_BASE_URL!: string;

  @IsIn(LOG_LEVELS, oneOf('LOG_LEVEL', LOG_LEVELS))
  LOG_LEVEL: LogLevel = 'info';

  @IsIn(ENVIRONMENT_TYPES, oneOf('DSP_ENVIRONMENT_TYPE', ENVIRONMENT_TYPES))
  DSP_ENVIRONMENT_TYPE!: EnvironmentType;

  /** Stable identifier of this environment; the database is stamped with it. */
  @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/, {
    message: 'DSP_ENVIRONMENT_ID: 2-63 lower-case letters, digits and dashes, starting with a letter or digit',
  })
  DSP_ENVIRONMENT_ID!: string;

  @IsIn(REGION_IDS, oneOf('DSP_REGION', REGION_IDS))
  DSP_REGION!: RegionId;

  /** ISO 3166-1 alpha-2 codes of the target countries, all within DSP_REGION. */
  @Transform(({ value }) => (splitList(value) as unknown[] | undefined)?.map((code) => String(code).toUpperCase()))
  @CountriesInRegion('DSP_REGION')
  DSP_COUNTRIES!: string[];

  @IsIn(LANGUAGES, oneOf('DSP_LANGUAGE', LANGUAGES))
  DSP_LANGUAGE!: Language;

  @IsIanaTimeZone()
  DSP_TIMEZONE!: string;

  @MaxLength(200, { message: 'DSP_PARTNER_NAME: at most 200 characters' })
  @MinLength(1, { message: 'DSP_PARTNER_NAME: required' })
  @IsString({ message: 'DSP_PARTNER_NAME: required' })
  DSP_PARTNER_NAME!: string;

  @MaxLength(200, { message: 'DSP_PARTNER_ADMIN_NAME: at most 200 characters' })
  @MinLength(1, { message: 'DSP_PARTNER_ADMIN_NAME: required' })
  @IsString({ message: 'DSP_PARTNER_ADMIN_NAME: required' })
  DSP_PARTNER_ADMIN_NAME!: string;

  /** The partner admin's login ID (the document: "used as authentication credentials"). */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/, {
    message: 'DSP_PARTNER_ADMIN_ID: 3-64 letters, digits, dots, dashes, underscores or @',
  })
  DSP_PARTNER_ADMIN_ID!: string;

  /** Used for password reset; the document prefers a personal address. */
  @IsEmail({}, { message: 'DSP_PARTNER_ADMIN_EMAIL: must be an e-mail address' })
  DSP_PARTNER_ADMIN_EMAIL!: string;

  /** Static global IPv4 addresses or CIDR blocks allowed to reach the portal and the REST API. */
  @Transform(({ value }) => splitList(value))
  @IsIpv4CidrList()
  @ArrayNotEmpty({ message: 'DSP_ALLOWED_SOURCE_IPS: list at least one IPv4 address or CIDR block' })
  DSP_ALLOWED_SOURCE_IPS!: string[];

  @Transform(({ value }) => (splitList(value) as unknown[] | undefined)?.map((method) => String(method).toLowerCase()))
  @IsIn(DATA_TRANSFER_METHODS, { each: true, ...oneOf('DSP_DATA_TRANSFER_METHODS', DATA_TRANSFER_METHODS) })
  @ArrayNotEmpty({ message: 'DSP_DATA_TRANSFER_METHODS: list at least one of api, sftp, csv' })
  DSP_DATA_TRANSFER_METHODS!: DataTransferMethod[];

  /** OMRON's OAuth website (sign-in and consent); defaults to the environment type's host from the Partner API spec. */
  @IsOptional()
  @IsUrl(httpUrl, { message: 'OMRON_OAUTH_WEBSITE_URL: must be an absolute http(s) URL' })
  OMRON_OAUTH_WEBSITE_URL?: string;

  /** OMRON's token and measurement API base, including its /stg or /prd prefix; defaults like the website URL. */
  @IsOptional()
  @IsUrl(httpUrl, { message: 'OMRON_OAUTH_API_URL: must be an absolute http(s) URL' })
  OMRON_OAUTH_API_URL?: string;

  /** The Application ID OMRON issued for this environment. */
  @MinLength(1, { message: 'OMRON_CLIENT_ID: required (the Application ID OMRON issued for this environment)' })
  @IsString({ message: 'OMRON_CLIENT_ID: required (the Application ID OMRON issued for this environment)' })
  OMRON_CLIENT_ID!: string;

  /**
   * The `iss` of OMRON's identity tokens (the id_token, or the access token when it is a JWT); defaults to
   * OMRON_OAUTH_API_URL. OMRON's own tokens name their identity provider here (the spec's example: a Cognito
   * user pool URL, `https://cognito-idp.<region>.amazonaws.com/<pool>`).
   */
  @IsOptional()
  @IsUrl(httpUrl, { message: 'OMRON_ID_TOKEN_ISSUER: must be an absolute http(s) URL' })
  OMRON_ID_TOKEN_ISSUER?: string;

  /**
   * Where the keys that sign OMRON's identity tokens are published (JWKS); defaults to
   * `{OMRON_ID_TOKEN_ISSUER}/.well-known/jwks.json` (where Cognito publishes a user pool's keys).
   */
  @IsOptional()
  @IsUrl(httpUrl, { message: 'OMRON_JWKS_URL: must be an absolute http(s) URL' })
  OMRON_JWKS_URL?: string;

  /**
   * The audiences an identity token may name (`aud`, or a Cognito access token's `client_id`), comma-separated;
   * defaults to OMRON_CLIENT_ID. The spec's example names a Cognito app client instead of the partner's client ID.
   */
  @IsOptional()
  @Transform(({ value }) => splitList(value))
  @Matches(/^[\x21-\x7e]{1,200}$/, { each: true, message: 'OMRON_ID_TOKEN_AUDIENCE: comma-separated audience values, no spaces' })
  OMRON_ID_TOKEN_AUDIENCE?: string[];

  /** The claim of the identity token that holds the OMRON user ID (Cognito: `sub`; `custom:userId` is kept besides). */
  @Matches(/^[A-Za-z0-9_:.-]{1,100}$/, { message: 'OMRON_USER_ID_CLAIM: a claim name such as sub or custom:userId' })
  OMRON_USER_ID_CLAIM: string = 'sub';

  /**
   * Where to revoke OMRON tokens (RFC 7009). OMRON documents no revocation endpoint, so there is no default: when
   * unset, withdrawal and discarded authorisations delete the tokens here and call nothing (the grant stays at
   * OMRON until the participant removes the app in OMRON connect). `npm start` sets the sandbox's.
   */
  @IsOptional()
  @IsUrl(httpUrl, { message: 'OMRON_REVOCATION_URL: must be an absolute http(s) URL' })
  OMRON_REVOCATION_URL?: string;

  /** The Secret Key OMRON issued for this environment; never has a default. */
  @MinLength(16, { message: 'OMRON_CLIENT_SECRET: too short to be a real secret (at least 16 characters)' })
  @IsString({ message: 'OMRON_CLIENT_SECRET: required (the Secret Key OMRON issued for this environment)' })
  OMRON_CLIENT_SECRET!: string;

  /**
   * Keys that encrypt secrets at rest (OAuth tokens, SFTP passwords, client secrets): `id:base64key` entries,
   * comma-separated, each key 32 random bytes (`openssl rand -base64 32`). Keep retired keys listed until
   * `npm run secrets:reencrypt` has moved everything to the active one.
   */
  @IsEncryptionKeyList()
  ENCRYPTION_KEYS!: string;

  /** The ID of the key new values are encrypted under; must be one of ENCRYPTION_KEYS. */
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'ENCRYPTION_ACTIVE_KEY_ID: required, the ID of one of ENCRYPTION_KEYS' })
  ENCRYPTION_ACTIVE_KEY_ID!: string;

  /** Refresh an access token once less than this share of its lifetime is left… */
  @Transform(toInt)
  @Min(1, { message: 'TOKEN_REFRESH_THRESHOLD_PERCENT: must be between 1 and 90' })
  @Max(90, { message: 'TOKEN_REFRESH_THRESHOLD_PERCENT: must be between 1 and 90' })
  @IsInt({ message: 'TOKEN_REFRESH_THRESHOLD_PERCENT: must be a whole number' })
  TOKEN_REFRESH_THRESHOLD_PERCENT: number = 10;

  /** …or less than this many seconds, whichever is more. */
  @Transform(toInt)
  @Min(0, { message: 'TOKEN_REFRESH_MIN_SECONDS: must be 0 or more' })
  @IsInt({ message: 'TOKEN_REFRESH_MIN_SECONDS: must be a whole number' })
  TOKEN_REFRESH_MIN_SECONDS: number = 60;

  /** How far this machine's clock may be off OMRON's; tokens are treated as expiring this much earlier. */
  @Transform(toInt)
  @Min(0, { message: 'TOKEN_CLOCK_SKEW_SECONDS: must be between 0 and 600' })
  @Max(600, { message: 'TOKEN_CLOCK_SKEW_SECONDS: must be between 0 and 600' })
  @IsInt({ message: 'TOKEN_CLOCK_SKEW_SECONDS: must be a whole number' })
  TOKEN_CLOCK_SKEW_SECONDS: number = 30;

  /** Upper bound on proactive refreshes sent to OMRON per minute by the scheduler (the upstream is rate limited). */
  @Transform(toInt)
  @Min(1, { message: 'TOKEN_REFRESHES_PER_MINUTE: must be at least 1' })
  @IsInt({ message: 'TOKEN_REFRESHES_PER_MINUTE: must be a whole number' })
  TOKEN_REFRESHES_PER_MINUTE: number = 60;

  /**
   * When a participant withdraws (or an admin withdraws them) and no other consented enrollment remains, their
   * readings are deleted; `true` keeps them (the tokens are revoked either way).
   */
  @IsIn(['true', 'false'], { message: 'WITHDRAWAL_KEEPS_DATA: must be true or false' })
  WITHDRAWAL_KEEPS_DATA: string = 'false';

  /** An admin session ends after this many minutes without a request. */
  @Transform(toInt)
  @Min(5, { message: 'SESSION_IDLE_MINUTES: must be between 5 and 1440' })
  @Max(1440, { message: 'SESSION_IDLE_MINUTES: must be between 5 and 1440' })
  @IsInt({ message: 'SESSION_IDLE_MINUTES: must be a whole number' })
  SESSION_IDLE_MINUTES: number = 30;

  /** An admin session ends this many hours after sign-in, however active. */
  @Transform(toInt)
  @Min(1, { message: 'SESSION_ABSOLUTE_HOURS: must be between 1 and 168' })
  @Max(168, { message: 'SESSION_ABSOLUTE_HOURS: must be between 1 and 168' })
  @IsInt({ message: 'SESSION_ABSOLUTE_HOURS: must be a whole number' })
  SESSION_ABSOLUTE_HOURS: number = 12;

  /** Failed sign-ins for one login ID before it is locked for LOGIN_LOCKOUT_MINUTES. */
  @Transform(toInt)
  @Min(3, { message: 'LOGIN_MAX_FAILURES: must be between 3 and 20' })
  @Max(20, { message: 'LOGIN_MAX_FAILURES: must be between 3 and 20' })
  @IsInt({ message: 'LOGIN_MAX_FAILURES: must be a whole number' })
  LOGIN_MAX_FAILURES: number = 5;

  @Transform(toInt)
  @Min(1, { message: 'LOGIN_LOCKOUT_MINUTES: must be between 1 and 1440' })
  @Max(1440, { message: 'LOGIN_LOCKOUT_MINUTES: must be between 1 and 1440' })
  @IsInt({ message: 'LOGIN_LOCKOUT_MINUTES: must be a whole number' })
  LOGIN_LOCKOUT_MINUTES: number = 15;

  /**
   * IPv4 addresses or CIDR blocks of the reverse proxies in front of the platform. Only they may tell the
   * client's address in X-Forwarded-For; unset, the header is ignored and the TCP peer is the client.
   */
  @IsOptional()
  @Transform(({ value }) => splitList(value))
  @IsIpv4CidrList()
  TRUST_PROXY?: string[];

  /** Outgoing mail (password reset, invitations): smtp:// or smtps:// URL with credentials. Unset: mail is kept in the outbox table only. */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL: must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /**
   * Requests one client address may make to the participant-facing pages (/consent/…) per minute, shared by
   * every web process; more are answered 429. Participants behind one NAT share an address: keep it generous.
   */
  @Transform(toInt)
  @Min(10, { message: 'CONSENT_RATE_LIMIT_PER_MINUTE: must be between 10 and 1000000' })
  @Max(1_000_000, { message: 'CONSENT_RATE_LIMIT_PER_MINUTE: must be between 10 and 1000000' })
  @IsInt({ message: 'CONSENT_RATE_LIMIT_PER_MINUTE: must be a whole number' })
  CONSENT_RATE_LIMIT_PER_MINUTE: number = 300;

  /** A pre-created participant account whose generated password is never used stops working after this many days. */
  @Transform(toInt)
  @Min(1, { message: 'PRECREATED_CREDENTIALS_EXPIRE_DAYS: must be between 1 and 365' })
  @Max(365, { message: 'PRECREATED_CREDENTIALS_EXPIRE_DAYS: must be between 1 and 365' })
  @IsInt({ message: 'PRECREATED_CREDENTIALS_EXPIRE_DAYS: must be a whole number' })
  PRECREATED_CREDENTIALS_EXPIRE_DAYS: number = 30;

  /** A consented participant with no new data for this many days is "stale" (funnel, dashboard, participant list). */
  @Transform(toInt)
  @Min(1, { message: 'STALE_AFTER_DAYS: must be between 1 and 365' })
  @Max(365, { message: 'STALE_AFTER_DAYS: must be between 1 and 365' })
  @IsInt({ message: 'STALE_AFTER_DAYS: must be a whole number' })
  STALE_AFTER_DAYS: number = 7;

  /** Consent-link invitation e-mails one group may send per hour (a limit against mistakes and abuse). */
  @Transform(toInt)
  @Min(1, { message: 'CONSENT_INVITATIONS_PER_HOUR: must be between 1 and 10000' })
  @Max(10_000, { message: 'CONSENT_INVITATIONS_PER_HOUR: must be between 1 and 10000' })
  @IsInt({ message: 'CONSENT_INVITATIONS_PER_HOUR: must be a whole number' })
  CONSENT_INVITATIONS_PER_HOUR: number = 200;
  /** Lifetime of the REST API's bearer tokens (client-credentials grant), in seconds. */
  @Transform(toInt)
  @Min(60, { message: 'API_ACCESS_TOKEN_TTL_SECONDS: must be between 60 and 86400' })
  @Max(86_400, { message: 'API_ACCESS_TOKEN_TTL_SECONDS: must be between 60 and 86400' })
  @IsInt({ message: 'API_ACCESS_TOKEN_TTL_SECONDS: must be a whole number' })
  API_ACCESS_TOKEN_TTL_SECONDS: number = 900;

  /** Requests one API client may make per minute (shared by every web process); token requests count per source address. */
  @Transform(toInt)
  @Min(1, { message: 'API_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000' })
  @Max(1_000_000, { message: 'API_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000' })
  @IsInt({ message: 'API_RATE_LIMIT_PER_MINUTE: must be a whole number' })
  API_RATE_LIMIT_PER_MINUTE: number = 600;
  /** Requests per minute to OMRON's measurement API, shared by every process of this environment (the API is rate limited). */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_UPSTREAM_REQUESTS_PER_MINUTE: must be between 1 and 60000' })
  @Max(60_000, { message: 'SYNC_UPSTREAM_REQUESTS_PER_MINUTE: must be between 1 and 60000' })
  @IsInt({ message: 'SYNC_UPSTREAM_REQUESTS_PER_MINUTE: must be a whole number' })
  SYNC_UPSTREAM_REQUESTS_PER_MINUTE: number = 50;

  /**
   * Share of SYNC_UPSTREAM_REQUESTS_PER_MINUTE kept for fresh pulls (notifications, "sync now"): backfills and
   * reconciliation never use more than the rest, so a reading just taken is not queued behind a launch day's histories.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d*\.?\d+$/.test(value) ? Number(value) : value))
  @Min(0, { message: 'SYNC_NOTIFICATION_BUDGET_SHARE: must be a number between 0 and 0.9' })
  @Max(0.9, { message: 'SYNC_NOTIFICATION_BUDGET_SHARE: must be a number between 0 and 0.9' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'SYNC_NOTIFICATION_BUDGET_SHARE: must be a number between 0 and 0.9' })
  SYNC_NOTIFICATION_BUDGET_SHARE: number = 0.3;

  /** Readings asked for per measurement request (the API's `limit`). */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_PAGE_SIZE: must be between 1 and 1000' })
  @Max(1000, { message: 'SYNC_PAGE_SIZE: must be between 1 and 1000' })
  @IsInt({ message: 'SYNC_PAGE_SIZE: must be a whole number' })
  SYNC_PAGE_SIZE: number = 1000;

  /** A measurement request without a complete answer after this many seconds counts as a timeout and is retried. */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_REQUEST_TIMEOUT_SECONDS: must be between 1 and 300' })
  @Max(300, { message: 'SYNC_REQUEST_TIMEOUT_SECONDS: must be between 1 and 300' })
  @IsInt({ message: 'SYNC_REQUEST_TIMEOUT_SECONDS: must be a whole number' })
  SYNC_REQUEST_TIMEOUT_SECONDS: number = 30;

  /**
   * Days the measurement API's raw answers are kept (gzip-compressed, per participant and kind) so a parser fix can be
   * applied to data already received (`npm run sync:renormalise`); 0 keeps none.
   */
  @Transform(toInt)
  @Min(0, { message: 'SYNC_RAW_PAGE_RETENTION_DAYS: must be between 0 and 3650' })
  @Max(3650, { message: 'SYNC_RAW_PAGE_RETENTION_DAYS: must be between 0 and 3650' })
  @IsInt({ message: 'SYNC_RAW_PAGE_RETENTION_DAYS: must be a whole number of days' })
  SYNC_RAW_PAGE_RETENTION_DAYS: number = 30;

  /** Once the circuit breaker opens (failures across participants, below), no process calls OMRON for this many seconds. */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_CIRCUIT_COOLDOWN_SECONDS: must be between 1 and 3600' })
  @Max(3600, { message: 'SYNC_CIRCUIT_COOLDOWN_SECONDS: must be between 1 and 3600' })
  @IsInt({ message: 'SYNC_CIRCUIT_COOLDOWN_SECONDS: must be a whole number' })
  SYNC_CIRCUIT_COOLDOWN_SECONDS: number = 60;

  /** A worker waits out a block (Retry-After, open circuit) up to this long; a longer one defers the pull instead. */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_MAX_INLINE_WAIT_SECONDS: must be between 1 and 600' })
  @Max(600, { message: 'SYNC_MAX_INLINE_WAIT_SECONDS: must be between 1 and 600' })
  @IsInt({ message: 'SYNC_MAX_INLINE_WAIT_SECONDS: must be a whole number' })
  SYNC_MAX_INLINE_WAIT_SECONDS: number = 30;

  /** The ceiling of the first retry's random wait after a failed measurement request; it doubles per attempt, up to 30 s. */
  @Transform(toInt)
  @Min(10, { message: 'SYNC_REQUEST_BACKOFF_MS: must be between 10 and 30000' })
  @Max(30_000, { message: 'SYNC_REQUEST_BACKOFF_MS: must be between 10 and 30000' })
  @IsInt({ message: 'SYNC_REQUEST_BACKOFF_MS: must be a whole number of milliseconds' })
  SYNC_REQUEST_BACKOFF_MS: number = 500;

  /** The circuit breaker opens after this many failed requests (5xx, timeouts, resets) within SYNC_CIRCUIT_WINDOW_SECONDS… */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_CIRCUIT_FAILURES: must be between 1 and 1000' })
  @Max(1000, { message: 'SYNC_CIRCUIT_FAILURES: must be between 1 and 1000' })
  @IsInt({ message: 'SYNC_CIRCUIT_FAILURES: must be a whole number' })
  SYNC_CIRCUIT_FAILURES: number = 5;

  /** …when they span at least this many participants (one participant's failures never open it, unless this is 1). */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_CIRCUIT_PARTICIPANTS: must be between 1 and 1000' })
  @Max(1000, { message: 'SYNC_CIRCUIT_PARTICIPANTS: must be between 1 and 1000' })
  @IsInt({ message: 'SYNC_CIRCUIT_PARTICIPANTS: must be a whole number' })
  SYNC_CIRCUIT_PARTICIPANTS: number = 3;

  @Transform(toInt)
  @Min(1, { message: 'SYNC_CIRCUIT_WINDOW_SECONDS: must be between 1 and 3600' })
  @Max(3600, { message: 'SYNC_CIRCUIT_WINDOW_SECONDS: must be between 1 and 3600' })
  @IsInt({ message: 'SYNC_CIRCUIT_WINDOW_SECONDS: must be a whole number' })
  SYNC_CIRCUIT_WINDOW_SECONDS: number = 60;

  /** Every this many minutes, the last few days of every active participant are pulled again, to catch missed notifications. */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_RECONCILE_INTERVAL_MINUTES: must be between 1 and 10080' })
  @Max(10_080, { message: 'SYNC_RECONCILE_INTERVAL_MINUTES: must be between 1 and 10080' })
  @IsInt({ message: 'SYNC_RECONCILE_INTERVAL_MINUTES: must be a whole number' })
  SYNC_RECONCILE_INTERVAL_MINUTES: number = 360;

  /** How many days back a reconciliation pulls. */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_RECONCILE_LOOKBACK_DAYS: must be between 1 and 90' })
  @Max(90, { message: 'SYNC_RECONCILE_LOOKBACK_DAYS: must be between 1 and 90' })
  @IsInt({ message: 'SYNC_RECONCILE_LOOKBACK_DAYS: must be a whole number' })
  SYNC_RECONCILE_LOOKBACK_DAYS: number = 3;

  /** Pulls one worker process runs at once. */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_WORKER_CONCURRENCY: must be between 1 and 64' })
  @Max(64, { message: 'SYNC_WORKER_CONCURRENCY: must be between 1 and 64' })
  @IsInt({ message: 'SYNC_WORKER_CONCURRENCY: must be a whole number' })
  SYNC_WORKER_CONCURRENCY: number = 4;

  /** Retries of a failed pull (exponential backoff from SYNC_JOB_RETRY_DELAY_SECONDS) before it goes to the dead-letter list. */
  @Transform(toInt)
  @Min(0, { message: 'SYNC_JOB_RETRY_LIMIT: must be between 0 and 50' })
  @Max(50, { message: 'SYNC_JOB_RETRY_LIMIT: must be between 0 and 50' })
  @IsInt({ message: 'SYNC_JOB_RETRY_LIMIT: must be a whole number' })
  SYNC_JOB_RETRY_LIMIT: number = 6;

  @Transform(toInt)
  @Min(1, { message: 'SYNC_JOB_RETRY_DELAY_SECONDS: must be between 1 and 3600' })
  @Max(3600, { message: 'SYNC_JOB_RETRY_DELAY_SECONDS: must be between 1 and 3600' })
  @IsInt({ message: 'SYNC_JOB_RETRY_DELAY_SECONDS: must be a whole number' })
  SYNC_JOB_RETRY_DELAY_SECONDS: number = 30;

  /**
   * A running pull proves it is alive this often; one whose process died is handed to another worker after
   * missing it, found by a check every SYNC_JOB_SUPERVISE_SECONDS.
   */
  @Transform(toInt)
  @Min(10, { message: 'SYNC_JOB_HEARTBEAT_SECONDS: must be between 10 and 3600' })
  @Max(3600, { message: 'SYNC_JOB_HEARTBEAT_SECONDS: must be between 10 and 3600' })
  @IsInt({ message: 'SYNC_JOB_HEARTBEAT_SECONDS: must be a whole number' })
  SYNC_JOB_HEARTBEAT_SECONDS: number = 30;

  @Transform(toInt)
  @Min(1, { message: 'SYNC_JOB_SUPERVISE_SECONDS: must be between 1 and 600' })
  @Max(600, { message: 'SYNC_JOB_SUPERVISE_SECONDS: must be between 1 and 600' })
  @IsInt({ message: 'SYNC_JOB_SUPERVISE_SECONDS: must be a whole number' })
  SYNC_JOB_SUPERVISE_SECONDS: number = 60;

  /**
   * How often an idle worker slot asks the queue for a pull that came due without a notification (a retry, a
   * deferred pull). A slot that has just run a pull asks again at once; a queued pull wakes idle slots at once.
   */
  @Transform(toInt)
  @Min(1, { message: 'SYNC_JOB_POLL_SECONDS: must be between 1 and 60' })
  @Max(60, { message: 'SYNC_JOB_POLL_SECONDS: must be between 1 and 60' })
  @IsInt({ message: 'SYNC_JOB_POLL_SECONDS: must be a whole number' })
  SYNC_JOB_POLL_SECONDS: number = 1;

  /** Largest notification body accepted, in bytes (OMRON's `{id, timestamp, type}` is well under 1 KB). */
  @Transform(toInt)
  @Min(256, { message: 'NOTIFICATION_MAX_BODY_BYTES: must be between 256 and 65536' })
  @Max(65_536, { message: 'NOTIFICATION_MAX_BODY_BYTES: must be between 256 and 65536' })
  @IsInt({ message: 'NOTIFICATION_MAX_BODY_BYTES: must be a whole number' })
  NOTIFICATION_MAX_BODY_BYTES: number = 4096;

  /** Notifications accepted per source address and minute, shared by every web process; more are answered 429. */
  @Transform(toInt)
  @Min(1, { message: 'NOTIFICATION_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000' })
  @Max(1_000_000, { message: 'NOTIFICATION_RATE_LIMIT_PER_MINUTE: must be between 1 and 1000000' })
  @IsInt({ message: 'NOTIFICATION_RATE_LIMIT_PER_MINUTE: must be a whole number' })
  NOTIFICATION_RATE_LIMIT_PER_MINUTE: number = 6000;

  /** Optional: IPv4 addresses or CIDR blocks OMRON's notifications come from; unset, any address may notify. */
  @IsOptional()
  @Transform(({ value }) => splitList(value))
  @IsIpv4CidrList()
  NOTIFICATION_ALLOWED_SOURCE_IPS?: string[];

  /**
   * Optional: a secret the Notification URI must carry, as `?secret=…` in the URI registered with OMRON or as
   * `Authorization: Bearer …`; unset, notifications are not authenticated (they only ever trigger a pull).
   */
  @IsOptional()
  @MinLength(16, { message: 'NOTIFICATION_SHARED_SECRET: at least 16 characters' })
  @IsString({ message: 'NOTIFICATION_SHARED_SECRET: must be text' })
  NOTIFICATION_SHARED_SECRET?: string;

  /**
   * `none` says, explicitly, that the receiver takes unauthenticated notifications. Production refuses to
   * start without NOTIFICATION_SHARED_SECRET or NOTIFICATION_ALLOWED_SOURCE_IPS unless this is set, and the
   * environment page then shows a red warning.
   */
  @IsOptional()
  @IsIn(['none'], { message: 'NOTIFICATION_AUTH: must be none, or unset' })
  NOTIFICATION_AUTH?: 'none';

  /** `true` lets production run without SMTP_URL, keeping mail in the database outbox only (a deliberate choice). */
  @IsIn(['true', 'false'], { message: 'MAIL_OUTBOX_ONLY: must be true or false' })
  MAIL_OUTBOX_ONLY: string = 'false';

  /**
   * `true` allows SFTP destinations in loopback, private, link-local and cloud-metadata address ranges; by
   * default they are refused, so the portal cannot be used to probe the platform's own network.
   */
  @IsIn(['true', 'false'], { message: 'EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: must be true or false' })
  EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: string = 'false';
  /**
   * `true` allows webhook endpoints in loopback, private, link-local and cloud-metadata address ranges; by
   * default they are refused (when added and before every attempt), as for SFTP destinations.
   */
  @IsIn(['true', 'false'], { message: 'WEBHOOK_ALLOW_PRIVATE_HOSTS: must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_HOSTS: string = 'false';
  /**
   * The partner's ID in SFTP delivery paths (`data/{partnerId}/{kind}/{groupId}/…`); defaults to
   * DSP_ENVIRONMENT_ID. Letters, digits, dashes and underscores, so it is safe as a folder name.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'EXPORT_PARTNER_ID: 1-64 letters, digits, dashes or underscores' })
  EXPORT_PARTNER_ID?: string;

  /** Readings per delivered CSV file (every kind but ECG). */
  @Transform(toInt)
  @Min(1, { message: 'SFTP_ROWS_PER_FILE: must be between 1 and 10000000' })
  @Max(10_000_000, { message: 'SFTP_ROWS_PER_FILE: must be between 1 and 10000000' })
  @IsInt({ message: 'SFTP_ROWS_PER_FILE: must be a whole number' })
  SFTP_ROWS_PER_FILE: number = 100_000;

  /** ECG recordings per delivered CSV file (each carries its whole waveform, so far fewer fit). */
  @Transform(toInt)
  @Min(1, { message: 'SFTP_ECG_ROWS_PER_FILE: must be between 1 and 100000' })
  @Max(100_000, { message: 'SFTP_ECG_ROWS_PER_FILE: must be between 1 and 100000' })
  @IsInt({ message: 'SFTP_ECG_ROWS_PER_FILE: must be a whole number' })
  SFTP_ECG_ROWS_PER_FILE: number = 100;

  /** Files per delivery folder at most; the rest of the rows go in the next delivery, started right away. */
  @Transform(toInt)
  @Min(1, { message: 'SFTP_MAX_FILES_PER_FOLDER: must be between 1 and 10000' })
  @Max(10_000, { message: 'SFTP_MAX_FILES_PER_FOLDER: must be between 1 and 10000' })
  @IsInt({ message: 'SFTP_MAX_FILES_PER_FOLDER: must be a whole number' })
  SFTP_MAX_FILES_PER_FOLDER: number = 10_000;

  /** A failed delivery is retried after this many seconds, doubling with each failure in a row… */
  @Transform(toInt)
  @Min(1, { message: 'SFTP_RETRY_BASE_SECONDS: must be between 1 and 86400' })
  @Max(86_400, { message: 'SFTP_RETRY_BASE_SECONDS: must be between 1 and 86400' })
  @IsInt({ message: 'SFTP_RETRY_BASE_SECONDS: must be a whole number' })
  SFTP_RETRY_BASE_SECONDS: number = 60;

  /** …up to this many seconds between attempts. */
  @Transform(toInt)
  @Min(1, { message: 'SFTP_RETRY_MAX_SECONDS: must be between 1 and 604800' })
  @Max(604_800, { message: 'SFTP_RETRY_MAX_SECONDS: must be between 1 and 604800' })
  @IsInt({ message: 'SFTP_RETRY_MAX_SECONDS: must be a whole number' })
  SFTP_RETRY_MAX_SECONDS: number = 3600;

  /** Seconds to wait for an SFTP server to connect and complete the SSH handshake, and for each answer after that. */
  @Transform(toInt)
  @Min(1, { message: 'SFTP_TIMEOUT_SECONDS: must be between 1 and 600' })
  @Max(600, { message: 'SFTP_TIMEOUT_SECONDS: must be between 1 and 600' })
  @IsInt({ message: 'SFTP_TIMEOUT_SECONDS: must be a whole number' })
  SFTP_TIMEOUT_SECONDS: number = 20;

  /**
   * The port OpenDSP's own SFTP server (partner retrieval, docs/exports.md) listens on, in worker processes;
   * unset: no server (the default).
   */
  @IsOptional()
  @Transform(toInt)
  @Min(1, { message: 'SFTP_SERVER_PORT: must be between 1 and 65535' })
  @Max(65_535, { message: 'SFTP_SERVER_PORT: must be between 1 and 65535' })
  @IsInt({ message: 'SFTP_SERVER_PORT: must be a whole number' })
  SFTP_SERVER_PORT?: number;

  /** The address the SFTP server listens on. */
  @MinLength(1, { message: 'SFTP_SERVER_HOST: must not be empty' })
  SFTP_SERVER_HOST: string = '0.0.0.0';

  /**
   * The SFTP server's host key: a file holding an OpenSSH or PEM private key. Unset: outside production a key
   * is generated once into EXPORT_RETRIEVAL_DIR; production refuses to start with SFTP_SERVER_PORT set and none.
   */
  @IsOptional()
  @MinLength(1, { message: 'SFTP_SERVER_HOST_KEY_FILE: must not be empty' })
  SFTP_SERVER_HOST_KEY_FILE?: string;

  /** The folder retrieval destinations write their files into, one subfolder per destination. */
  @MinLength(1, { message: 'EXPORT_RETRIEVAL_DIR: must not be empty' })
  EXPORT_RETRIEVAL_DIR: string = './data/retrieval';

  /** Days a retrieval delivery's files are kept after it completed; older ones are removed by the worker. */
  @Transform(toInt)
  @Min(1, { message: 'EXPORT_RETRIEVAL_RETENTION_DAYS: must be between 1 and 3650' })
  @Max(3650, { message: 'EXPORT_RETRIEVAL_RETENTION_DAYS: must be between 1 and 3650' })
  @IsInt({ message: 'EXPORT_RETRIEVAL_RETENTION_DAYS: must be a whole number' })
  EXPORT_RETRIEVAL_RETENTION_DAYS: number = 30;

  /** A failed webhook delivery is retried after this many seconds, doubling with each failed attempt (at most an hour apart)… */
  @Transform(toInt)
  @Min(1, { message: 'WEBHOOK_RETRY_BASE_SECONDS: must be between 1 and 86400' })
  @Max(86400, { message: 'WEBHOOK_RETRY_BASE_SECONDS: must be between 1 and 86400' })
  @IsInt({ message: 'WEBHOOK_RETRY_BASE_SECONDS: must be a whole number' })
  WEBHOOK_RETRY_BASE_SECONDS: number = 30;

  /** …for this long after its first attempt; then it fails and its endpoint is disabled (3 days). */
  @Transform(toInt)
  @Min(1, { message: 'WEBHOOK_GIVE_UP_SECONDS: must be between 1 and 2592000' })
  @Max(2592000, { message: 'WEBHOOK_GIVE_UP_SECONDS: must be between 1 and 2592000' })
  @IsInt({ message: 'WEBHOOK_GIVE_UP_SECONDS: must be a whole number' })
  WEBHOOK_GIVE_UP_SECONDS: number = 259200;

  /** Seconds a webhook receiver has to answer. */
  @Transform(toInt)
  @Min(1, { message: 'WEBHOOK_TIMEOUT_SECONDS: must be between 1 and 60' })
  @Max(60, { message: 'WEBHOOK_TIMEOUT_SECONDS: must be between 1 and 60' })
  @IsInt({ message: 'WEBHOOK_TIMEOUT_SECONDS: must be a whole number' })
  WEBHOOK_TIMEOUT_SECONDS: number = 10;

  /** A readings event larger than this carries its change-sequence range and a change-feed link instead of the readings. */
  @Transform(toInt)
  @Min(1024, { message: 'WEBHOOK_MAX_PAYLOAD_BYTES: must be between 1024 and 10485760' })
  @Max(10485760, { message: 'WEBHOOK_MAX_PAYLOAD_BYTES: must be between 1024 and 10485760' })
  @IsInt({ message: 'WEBHOOK_MAX_PAYLOAD_BYTES: must be a whole number' })
  WEBHOOK_MAX_PAYLOAD_BYTES: number = 262144;

  /** Delivered and failed webhook messages are deleted from the delivery log this many days after their last attempt. */
  @Transform(toInt)
  @Min(1, { message: 'WEBHOOK_DELIVERY_RETENTION_DAYS: must be between 1 and 3650' })
  @Max(3650, { message: 'WEBHOOK_DELIVERY_RETENTION_DAYS: must be between 1 and 3650' })
  @IsInt({ message: 'WEBHOOK_DELIVERY_RETENTION_DAYS: must be a whole number' })
  WEBHOOK_DELIVERY_RETENTION_DAYS: number = 30;

  /** Sender of the platform's mail. */
  @Matches(/^([^<>]*<)?[^\s@<>]+@[^\s@<>]+>?$/, { message: 'MAIL_FROM: must be an e-mail address, optionally as "Name <address>"' })
  MAIL_FROM: string = 'OpenDSP <no-reply@localhost>';

  /** How often the dashboard's per-group figures (funnel, readings received) are recomputed, in seconds. */
  @Transform(toInt)
  @Min(10, { message: 'DASHBOARD_REFRESH_SECONDS: must be between 10 and 3600' })
  @Max(3600, { message: 'DASHBOARD_REFRESH_SECONDS: must be between 10 and 3600' })
  @IsInt({ message: 'DASHBOARD_REFRESH_SECONDS: must be a whole number' })
  DASHBOARD_REFRESH_SECONDS: number = 60;
}
