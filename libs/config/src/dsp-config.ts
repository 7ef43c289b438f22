import {
  DspEnvironment,
  type DataTransferMethod,
  type EnvironmentType,
  type Language,
  type LogLevel,
  type NodeEnv,
  type ProcessRole,
} from './dsp-environment.js';
import { ConfigValidationError, loadEnvironment } from './load-environment.js';
import { REGIONS, type RegionId } from './regions.js';
import { parseEncryptionKeyList } from './validators.js';

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
  readonly http: { host: string; port: number; publicBaseUrl: string };
  readonly log: { level: LogLevel; pretty: boolean };
  readonly database: DatabaseSettings;
  readonly environment: DspEnvironmentFacts;
  readonly omron: { websiteUrl: string; apiUrl: string; clientId: string; clientSecret: string };
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
  readonly mail: { smtpUrl: string | undefined; from: string };
  /** CSV exports and SFTP delivery. */
  readonly exports: {
    /** The partner's folder in SFTP delivery paths. */
    partnerId: string;
    sftp: {
      rowsPerFile: number;
      ecgRowsPerFile: number;
      maxFilesPerFolder: number;
      retryBaseSeconds: number;
      retryMaxSeconds: number;
      timeoutSeconds: number;
    };
  };

  constructor(env: DspEnvironment, databaseUrl: string) {
    this.nodeEnv = env.NODE_ENV;
    this.processRole = env.PROCESS_ROLE;
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
    this.omron = {
      websiteUrl: (env.OMRON_OAUTH_WEBSITE_URL ?? hosts.website).replace(/\/+$/, ''),
      apiUrl: (env.OMRON_OAUTH_API_URL ?? hosts.api).replace(/\/+$/, ''),
      clientId: env.OMRON_CLIENT_ID,
      clientSecret: env.OMRON_CLIENT_SECRET,
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
    this.mail = { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM };
    this.exports = {
      partnerId: env.EXPORT_PARTNER_ID ?? env.DSP_ENVIRONMENT_ID,
      sftp: {
        rowsPerFile: env.SFTP_ROWS_PER_FILE,
        ecgRowsPerFile: env.SFTP_ECG_ROWS_PER_FILE,
        maxFilesPerFolder: env.SFTP_MAX_FILES_PER_FOLDER,
        retryBaseSeconds: env.SFTP_RETRY_BASE_SECONDS,
        retryMaxSeconds: env.SFTP_RETRY_MAX_SECONDS,
        timeoutSeconds: env.SFTP_TIMEOUT_SECONDS,
      },
    };
  }
}

/** Validates the environment and builds the platform's configuration; throws ConfigValidationError listing every problem. */
export function loadDspConfig(env: Record<string, string | undefined>): DspConfig {
  const missingDatabase = env.DATABASE_URL
    ? []
    : ['DATABASE_URL: required to run the platform on its own (`npm start` starts an embedded database and sets it)'];
  let parsed: DspEnvironment;
  try {
    parsed = loadEnvironment(DspEnvironment, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) throw new ConfigValidationError([...missingDatabase, ...error.problems]);
    throw error;
  }
  const keyIds = parseEncryptionKeyList(parsed.ENCRYPTION_KEYS).map((key) => key.id);
  const problems = [
    ...missingDatabase,
    ...(keyIds.includes(parsed.ENCRYPTION_ACTIVE_KEY_ID)
      ? []
      : [`ENCRYPTION_ACTIVE_KEY_ID: "${parsed.ENCRYPTION_ACTIVE_KEY_ID}" is not one of the IDs in ENCRYPTION_KEYS (${keyIds.join(', ')})`]),
  ];
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return new DspConfig(parsed, parsed.DATABASE_URL!);
}
