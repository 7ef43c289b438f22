import {
  DspEnvironment,
  type DataTransferMethod,
  type EnvironmentType,
  type Language,
  type LogLevel,
  type NodeEnv,
  type ProcessRole,
} from './dsp-environment.rules.js';
import { ConfigValidationError, loadEnvironment } from './load-environment.helpers.js';
import { REGIONS, type RegionId } from './regions.catalogue.js';
import { parseEncryptionKeyList } from './validators.decorators.js';

/** The Partner API spec's hosts, used when the upstream URLs are not configured. */
export const OMRON_HOSTS: Record<EnvironmentType, { website: string; api: string }> = {
  staging: { website: 'https://stg-oauth-website.ohiomron.com', api: 'https://stg-oauth.ohiomron.com/stg' },
  production: { website: 'https://prd-oauth-website.ohiomron.com', api: 'https://prd-oauth.ohiomron.com/prd' },
};

export interface DatabaseSettings {
  url: string;
  poolMax: number;
}

/** The facts that define one isolated DSP environment (DSP onboarding document). */
export interface DspEnvironmentFacts {
  type: EnvironmentType;
  id: string;
  region: { id: RegionId; name: string };
  countries: { code: string; name: string }[];
  language: Language;
  timezone: string;
  partnerName: string;
  partnerAdmin: { name: string; id: string; email: string };
  allowedSourceIps: string[];
  dataTransferMethods: DataTransferMethod[];
}

/**
 * The platform's whole configuration: one typed object, validated at boot. Inject it by class;
 * nothing else in the platform reads `process.env`.
 */
export class DspConfig {
  readonly nodeEnv: NodeEnv;
  readonly processRole: ProcessRole;
  /** WORKER_NICE: added to a worker process's niceness at start (0: unchanged). */
  readonly workerNice: number;
  readonly http: { host: string; port: number; publicBaseUrl: string };
  readonly log: { level: LogLevel; pretty: boolean };
  readonly database: DatabaseSettings;
  readonly environment: DspEnvironmentFacts;
  readonly omron: {
    websiteUrl: string;
    apiUrl: string;
    clientId: string;
    clientSecret: string;
    /** The identity token's expected `iss`, where its signing keys are published, and the audiences it may name. */
    idTokenIssuer: string;
    jwksUrl: string;
    idTokenAudiences: string[];
    /** The claim that carries the OMRON user ID. */
    userIdClaim: string;
    /** OMRON_REVOCATION_URL, or null: then tokens are only deleted here (OMRON documents no revocation endpoint). */
    revocationUrl: string | null;
  };
  readonly encryption: { keys: { id: string; key: Buffer }[]; activeKeyId: string };
  readonly tokens: { refreshThresholdPercent: number; refreshMinSeconds: number; clockSkewSeconds: number; refreshesPerMinute: number };
  /** Admin portal sign-in and session rules. */
  readonly portal: {
    sessionIdleMinutes: number;
    sessionAbsoluteHours: number;
    loginMaxFailures: number;
    loginLockoutMinutes: number;
    /** CIDRs of trusted reverse proxies; empty: X-Forwarded-For is ignored. */
    trustProxy: string[];
  };
  readonly mail: { smtpUrl: string | undefined; from: string; outboxOnly: boolean };
  /** Participants and enrollment: pre-created accounts, the funnel, consent-link invitations. */
  readonly participants: {
    precreatedCredentialsExpireDays: number;
    staleAfterDays: number;
    consentInvitationsPerHour: number;
    /** Requests per client address and minute to /consent/…, shared by every web process. */
    consentRateLimitPerMinute: number;
  };
  /** What withdrawing consent does besides revoking the tokens. */
  readonly withdrawal: { keepsData: boolean };
  /** The REST API for partner systems. */
  readonly api: { accessTokenTtlSeconds: number; rateLimitPerMinute: number };
  /** Measurement sync: upstream budget, retries, jobs and schedules (libs/sync). */
  readonly sync: {
    upstreamRequestsPerMinute: number;
    /** Share of the budget kept for fresh pulls (notifications, "sync now"); backfills and reconciliation get the rest. */
    notificationBudgetShare: number;
    pageSize: number;
    requestTimeoutSeconds: number;
    circuitCooldownSeconds: number;
    /** A block up to this long is waited out by the worker; a longer one defers the pull. */
    maxInlineWaitSeconds: number;
    /** Backoff of a failed measurement request: full jitter under this, doubling per attempt. */
    requestBackoffMs: number;
    /** The breaker opens after `failures` failed requests within `windowSeconds` spanning at least `participants`. */
    circuit: { failures: number; participants: number; windowSeconds: number };
    /** Days raw measurement pages are kept (0: none). */
    rawPageRetentionDays: number;
    reconcileIntervalMinutes: number;
    reconcileLookbackDays: number;
    workerConcurrency: number;
    jobRetryLimit: number;
    jobRetryDelaySeconds: number;
    jobHeartbeatSeconds: number;
    jobSuperviseSeconds: number;
    jobPollSeconds: number;
  };
  /** The Notification URI's receiver. */
  readonly notifications: {
    maxBodyBytes: number;
    rateLimitPerMinute: number;
    allowedSourceIps: string[];
    sharedSecret: string | undefined;
    /** NOTIFICATION_AUTH=none: unauthenticated notifications were chosen explicitly (a warning on the environment page). */
    explicitlyOpen: boolean;
  };
  /** The portal's data views (dashboard figures). */
  readonly dataViews: { dashboardRefreshSeconds: number };
  /** Signed webhooks (libs/webhooks). */
  readonly webhooks: {
    /** WEBHOOK_ALLOW_PRIVATE_HOSTS */
    allowPrivateHosts: boolean;
    retryBaseSeconds: number;
    giveUpSeconds: number;
    timeoutSeconds: number;
    maxPayloadBytes: number;
    /** WEBHOOK_DELIVERY_RETENTION_DAYS: how long delivered and failed messages stay in the delivery log. */
    deliveryRetentionDays: number;
  };
  /** CSV exports and SFTP delivery. */
  readonly exports: {
    /** The partner's folder in SFTP delivery paths. */
    partnerId: string;
    sftp: {
      /** EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: destinations in loopback, private and metadata ranges are allowed. */
      allowPrivateHosts: boolean;
      rowsPerFile: number;
      ecgRowsPerFile: number;
      maxFilesPerFolder: number;
      retryBaseSeconds: number;
      retryMaxSeconds: number;
      timeoutSeconds: number;
    };
    /** Partner retrieval: OpenDSP's own SFTP server and the files it serves (docs/exports.md). */
    retrieval: {
      /** SFTP_SERVER_PORT; null: no server. */
      serverPort: number | null;
      serverHost: string;
      /** SFTP_SERVER_HOST_KEY_FILE; null: a generated key in `dir` (not in production). */
      hostKeyFile: string | null;
      /** EXPORT_RETRIEVAL_DIR */
      dir: string;
      retentionDays: number;
    };
  };

  constructor(env: DspEnvironment, databaseUrl: string) {
    this.nodeEnv = env.NODE_ENV;
    this.processRole = env.PROCESS_ROLE;
    this.workerNice = env.WORKER_NICE;
    this.http = { host: env.HOST, port: env.PORT, publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/+$/, '') };
    this.log = { level: env.LOG_LEVEL, pretty: env.NODE_ENV === 'development' };
    this.database = { url: databaseUrl, poolMax: env.DATABASE_POOL_MAX };
    const region = REGIONS[env.DSP_REGION];
    this.environment = {
      type: env.DSP_ENVIRONMENT_TYPE,
      id: env.DSP_ENVIRONMENT_ID,
      region: { id: env.DSP_REGION, name: region.name },
      countries: env.DSP_COUNTRIES.map((code) => ({ code, name: (region.countries as Record<string, string>)[code] })),
      language: env.DSP_LANGUAGE,
      timezone: env.DSP_TIMEZONE,
      partnerName: env.DSP_PARTNER_NAME,
      partnerAdmin: { name: env.DSP_PARTNER_ADMIN_NAME, id: env.DSP_PARTNER_ADMIN_ID, email: env.DSP_PARTNER_ADMIN_EMAIL },
      allowedSourceIps: env.DSP_ALLOWED_SOURCE_IPS,
      dataTransferMethods: env.DSP_DATA_TRANSFER_METHODS,
    };
    const hosts = OMRON_HOSTS[env.DSP_ENVIRONMENT_TYPE];
    const apiUrl = (env.OMRON_OAUTH_API_URL ?? hosts.api).replace(/\/+$/, '');
    this.omron = {
      websiteUrl: (env.OMRON_OAUTH_WEBSITE_URL ?? hosts.website).replace(/\/+$/, ''),
      apiUrl,
      clientId: env.OMRON_CLIENT_ID,
      clientSecret: env.OMRON_CLIENT_SECRET,
      idTokenIssuer: env.OMRON_ID_TOKEN_ISSUER ?? apiUrl,
      jwksUrl: env.OMRON_JWKS_URL ?? `${(env.OMRON_ID_TOKEN_ISSUER ?? apiUrl).replace(/\/+$/, '')}/.well-known/jwks.json`,
      idTokenAudiences: env.OMRON_ID_TOKEN_AUDIENCE?.length ? env.OMRON_ID_TOKEN_AUDIENCE : [env.OMRON_CLIENT_ID],
      userIdClaim: env.OMRON_USER_ID_CLAIM,
      revocationUrl: env.OMRON_REVOCATION_URL ?? null,
    };
    this.encryption = { keys: parseEncryptionKeyList(env.ENCRYPTION_KEYS), activeKeyId: env.ENCRYPTION_ACTIVE_KEY_ID };
    this.tokens = {
      refreshThresholdPercent: env.TOKEN_REFRESH_THRESHOLD_PERCENT,
      refreshMinSeconds: env.TOKEN_REFRESH_MIN_SECONDS,
      clockSkewSeconds: env.TOKEN_CLOCK_SKEW_SECONDS,
      refreshesPerMinute: env.TOKEN_REFRESHES_PER_MINUTE,
    };
    this.portal = {
      sessionIdleMinutes: env.SESSION_IDLE_MINUTES,
      sessionAbsoluteHours: env.SESSION_ABSOLUTE_HOURS,
      loginMaxFailures: env.LOGIN_MAX_FAILURES,
      loginLockoutMinutes: env.LOGIN_LOCKOUT_MINUTES,
      trustProxy: env.TRUST_PROXY ?? [],
    };
    this.mail = { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, outboxOnly: env.MAIL_OUTBOX_ONLY === 'true' };
    this.participants = {
      precreatedCredentialsExpireDays: env.PRECREATED_CREDENTIALS_EXPIRE_DAYS,
      staleAfterDays: env.STALE_AFTER_DAYS,
      consentInvitationsPerHour: env.CONSENT_INVITATIONS_PER_HOUR,
      consentRateLimitPerMinute: env.CONSENT_RATE_LIMIT_PER_MINUTE,
    };
    this.withdrawal = { keepsData: env.WITHDRAWAL_KEEPS_DATA === 'true' };
    this.api = { accessTokenTtlSeconds: env.API_ACCESS_TOKEN_TTL_SECONDS, rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE };
    this.sync = {
      upstreamRequestsPerMinute: env.SYNC_UPSTREAM_REQUESTS_PER_MINUTE,
      notificationBudgetShare: env.SYNC_NOTIFICATION_BUDGET_SHARE,
      pageSize: env.SYNC_PAGE_SIZE,
      requestTimeoutSeconds: env.SYNC_REQUEST_TIMEOUT_SECONDS,
      circuitCooldownSeconds: env.SYNC_CIRCUIT_COOLDOWN_SECONDS,
      maxInlineWaitSeconds: env.SYNC_MAX_INLINE_WAIT_SECONDS,
      requestBackoffMs: env.SYNC_REQUEST_BACKOFF_MS,
      circuit: {
        failures: env.SYNC_CIRCUIT_FAILURES,
        participants: env.SYNC_CIRCUIT_PARTICIPANTS,
        windowSeconds: env.SYNC_CIRCUIT_WINDOW_SECONDS,
      },
      rawPageRetentionDays: env.SYNC_RAW_PAGE_RETENTION_DAYS,
      reconcileIntervalMinutes: env.SYNC_RECONCILE_INTERVAL_MINUTES,
      reconcileLookbackDays: env.SYNC_RECONCILE_LOOKBACK_DAYS,
      workerConcurrency: env.SYNC_WORKER_CONCURRENCY,
      jobRetryLimit: env.SYNC_JOB_RETRY_LIMIT,
      jobRetryDelaySeconds: env.SYNC_JOB_RETRY_DELAY_SECONDS,
      jobHeartbeatSeconds: env.SYNC_JOB_HEARTBEAT_SECONDS,
      jobSuperviseSeconds: env.SYNC_JOB_SUPERVISE_SECONDS,
      jobPollSeconds: env.SYNC_JOB_POLL_SECONDS,
    };
    this.notifications = {
      maxBodyBytes: env.NOTIFICATION_MAX_BODY_BYTES,
      rateLimitPerMinute: env.NOTIFICATION_RATE_LIMIT_PER_MINUTE,
      allowedSourceIps: env.NOTIFICATION_ALLOWED_SOURCE_IPS ?? [],
      sharedSecret: env.NOTIFICATION_SHARED_SECRET,
      explicitlyOpen: env.NOTIFICATION_AUTH === 'none',
    };
    this.dataViews = { dashboardRefreshSeconds: env.DASHBOARD_REFRESH_SECONDS };
    this.webhooks = {
      allowPrivateHosts: env.WEBHOOK_ALLOW_PRIVATE_HOSTS === 'true',
      retryBaseSeconds: env.WEBHOOK_RETRY_BASE_SECONDS,
      giveUpSeconds: env.WEBHOOK_GIVE_UP_SECONDS,
      timeoutSeconds: env.WEBHOOK_TIMEOUT_SECONDS,
      maxPayloadBytes: env.WEBHOOK_MAX_PAYLOAD_BYTES,
      deliveryRetentionDays: env.WEBHOOK_DELIVERY_RETENTION_DAYS,
    };
    this.exports = {
      partnerId: env.EXPORT_PARTNER_ID ?? env.DSP_ENVIRONMENT_ID,
      sftp: {
        allowPrivateHosts: env.EXPORT_SFTP_ALLOW_PRIVATE_HOSTS === 'true',
        rowsPerFile: env.SFTP_ROWS_PER_FILE,
        ecgRowsPerFile: env.SFTP_ECG_ROWS_PER_FILE,
        maxFilesPerFolder: env.SFTP_MAX_FILES_PER_FOLDER,
        retryBaseSeconds: env.SFTP_RETRY_BASE_SECONDS,
        retryMaxSeconds: env.SFTP_RETRY_MAX_SECONDS,
        timeoutSeconds: env.SFTP_TIMEOUT_SECONDS,
      },
      retrieval: {
        serverPort: env.SFTP_SERVER_PORT ?? null,
        serverHost: env.SFTP_SERVER_HOST,
        hostKeyFile: env.SFTP_SERVER_HOST_KEY_FILE ?? null,
        dir: env.EXPORT_RETRIEVAL_DIR,
        retentionDays: env.EXPORT_RETRIEVAL_RETENTION_DAYS,
      },
    };
  }
}

/** Validates the environment and builds the platform's configuration; throws ConfigValidationError listing every problem. */
export function loadDspConfig(env: Record<string, string | undefined>): DspConfig {
  const missingDatabase = env.DATABASE_URL
    ? []
    : ['DATABASE_URL: required to run the platform on its own (`npm start` starts an embedded database and sets it)'];
  // Judged on the raw variables, so they are listed together with any other bad variable.
  const production = (env.NODE_ENV || 'production') === 'production' ? productionProblems(env) : [];
  let parsed: DspEnvironment;
  try {
    parsed = loadEnvironment(DspEnvironment, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) throw new ConfigValidationError([...missingDatabase, ...error.problems, ...production]);
    throw error;
  }
  const keyIds = parseEncryptionKeyList(parsed.ENCRYPTION_KEYS).map((key) => key.id);
  const problems = [
    ...missingDatabase,
    ...(keyIds.includes(parsed.ENCRYPTION_ACTIVE_KEY_ID)
      ? []
      : [`ENCRYPTION_ACTIVE_KEY_ID: "${parsed.ENCRYPTION_ACTIVE_KEY_ID}" is not one of the IDs in ENCRYPTION_KEYS (${keyIds.join(', ')})`]),
    ...production,
  ];
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return new DspConfig(parsed, parsed.DATABASE_URL!);
}

/** True for URLs whose host is this machine: tests and a local sandbox may use plain http there. */
function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  } catch {
    return false;
  }
}

/**
 * What production refuses, so a deployment is closed by default (docs/security.md): an unauthenticated
 * Notification URI, cleartext addresses, and mail that silently never leaves the database.
 */
function productionProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (!env.NOTIFICATION_SHARED_SECRET && !env.NOTIFICATION_ALLOWED_SOURCE_IPS?.trim() && env.NOTIFICATION_AUTH !== 'none') {
    problems.push(
      "NOTIFICATION_SHARED_SECRET or NOTIFICATION_ALLOWED_SOURCE_IPS: production needs one to authenticate OMRON's notifications " +
        '(set NOTIFICATION_AUTH=none to accept unauthenticated notifications knowingly)',
    );
  }
  const urls: [string, string | undefined][] = [
    ['PUBLIC_BASE_URL', env.PUBLIC_BASE_URL],
    ['OMRON_OAUTH_WEBSITE_URL', env.OMRON_OAUTH_WEBSITE_URL],
    ['OMRON_OAUTH_API_URL', env.OMRON_OAUTH_API_URL],
    ['OMRON_ID_TOKEN_ISSUER', env.OMRON_ID_TOKEN_ISSUER],
    ['OMRON_JWKS_URL', env.OMRON_JWKS_URL],
  ];
  for (const [name, url] of urls) {
    if (url && /^http:\/\//i.test(url) && !isLoopbackUrl(url)) problems.push(`${name}: must be an https:// URL in production`);
  }
  if (env.SFTP_SERVER_PORT?.trim() && !env.SFTP_SERVER_HOST_KEY_FILE?.trim()) {
    problems.push(
      'SFTP_SERVER_HOST_KEY_FILE: required in production when SFTP_SERVER_PORT is set (the SFTP server needs a host key kept with care)',
    );
  }
  if (!env.SMTP_URL && env.MAIL_OUTBOX_ONLY !== 'true') {
    problems.push('SMTP_URL: required in production (or set MAIL_OUTBOX_ONLY=true to keep mail in the database outbox only)');
  }
  return problems;
}
