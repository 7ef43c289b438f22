import 'reflect-metadata';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  ConfigValidationError,
  loadDspConfig,
  loadEnvironment,
  loadSandboxConfig,
  DatabaseEnvironment,
  platformIdentityEnvFor,
} from '@opendsp/config';
import {
  EMBEDDED_MAX_CONNECTIONS,
  EnvironmentMismatchError,
  migrateDspDatabase,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@opendsp/database';
import { buildConsentUrl } from '@opendsp/participants';
import {
  ensureSandboxUser,
  migrateSandboxDatabase,
  sandboxOrmConfig,
  startSandbox,
  upsertRegisteredApp,
} from '../../../omron-sandbox/src/index.js';
import { startDsp } from '../bootstrap.js';
import { seedDemo } from './demo-seed.js';
import { loadOrCreateLocalSecrets } from './local-secrets.js';
import { MikroORM } from '@mikro-orm/postgresql';

/**
 * `npm start`: the whole platform on one machine with nothing installed but Node. Starts the embedded
 * database (unless DATABASE_URL is set), migrates, seeds a demo, then runs the OMRON sandbox and the
 * platform in this process and prints where to click. Values from the environment or `.env` win over
 * the demo defaults below; none of the defaults is a secret (those are generated into DATA_DIR).
 */
const DEMO_DEFAULTS: Record<string, string> = {
  NODE_ENV: 'development',
  PROCESS_ROLE: 'all',
  // Quiet by default: the banner is the output. LOG_LEVEL=info shows Nest's start-up, its route mapping and a
  // line per request; debug adds request and response headers.
  LOG_LEVEL: 'warn',
  DSP_ENVIRONMENT_TYPE: 'staging',
  DSP_ENVIRONMENT_ID: 'local',
  DSP_REGION: 'east-asia',
  DSP_COUNTRIES: 'JP',
  DSP_LANGUAGE: 'en',
  DSP_TIMEZONE: 'Asia/Tokyo',
  DSP_PARTNER_NAME: 'Demo Clinic Network',
  DSP_PARTNER_ADMIN_NAME: 'Demo Partner Admin',
  DSP_PARTNER_ADMIN_ID: 'partner-admin',
  DSP_PARTNER_ADMIN_EMAIL: 'partner-admin@example.test',
  DSP_ALLOWED_SOURCE_IPS: '127.0.0.1/32',
  DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
  OMRON_CLIENT_ID: 'opendsp-local',
};
const SANDBOX_DEMO_USER = 'demo.user@sandbox.test';

async function main(): Promise<void> {
  const env: Record<string, string | undefined> = { ...DEMO_DEFAULTS, ...process.env };
  const database = loadEnvironment(DatabaseEnvironment, env);
  const secrets = await loadOrCreateLocalSecrets(database.DATA_DIR);
  const port = env.PORT ?? '3000';
  const sandboxPort = env.SANDBOX_PORT ?? '3100';
  const sandboxUrl = env.SANDBOX_PUBLIC_URL ?? `http://127.0.0.1:${sandboxPort}`;
  Object.assign(env, {
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`,
    SANDBOX_PUBLIC_URL: sandboxUrl,
    OMRON_OAUTH_WEBSITE_URL: env.OMRON_OAUTH_WEBSITE_URL ?? sandboxUrl,
    OMRON_OAUTH_API_URL: env.OMRON_OAUTH_API_URL ?? `${sandboxUrl}/stg`,
    // OMRON documents no revocation endpoint; the sandbox has one, so the demo revokes what it lets go of.
    OMRON_REVOCATION_URL: env.OMRON_REVOCATION_URL ?? `${sandboxUrl}/stg/connect/revocation`,
    OMRON_CLIENT_SECRET: env.OMRON_CLIENT_SECRET ?? secrets.omronClientSecret,
    ENCRYPTION_KEYS: env.ENCRYPTION_KEYS ?? secrets.encryptionKey,
    ENCRYPTION_ACTIVE_KEY_ID: env.ENCRYPTION_ACTIVE_KEY_ID ?? secrets.encryptionKey.split(':')[0],
  });

  // Each app gets a database of its own unless DATABASE_URL is given (then they share it, in separate schemas).
  // OMRON's emulator must not share the embedded database with the platform: PGlite runs one session, so a
  // platform transaction waiting on an HTTP call to the sandbox would wait on itself.
  const embedded: EmbeddedPostgres[] = [];
  let dspEnv = env;
  let sandboxEnv = env;
  if (!database.DATABASE_URL) {
    const [platformDb, sandboxDb] = await Promise.all([
      startEmbeddedPostgres({ dataDir: join(database.DATA_DIR, 'pglite'), port: database.EMBEDDED_DB_PORT }),
      startEmbeddedPostgres({ dataDir: join(database.DATA_DIR, 'pglite-sandbox'), port: database.EMBEDDED_DB_PORT + 1 }),
    ]);
    embedded.push(platformDb, sandboxDb);
    // More pooled connections than the server accepts would hang queries.
    const poolMax = String(Math.min(database.DATABASE_POOL_MAX, EMBEDDED_MAX_CONNECTIONS - 2));
    dspEnv = { ...env, DATABASE_URL: platformDb.url, DATABASE_POOL_MAX: poolMax };
    sandboxEnv = { ...env, DATABASE_URL: sandboxDb.url, DATABASE_POOL_MAX: poolMax };
  }
  const apps: INestApplication[] = [];
  const stop = async (exitCode: number): Promise<void> => {
    for (const app of apps.reverse()) await app.close();
    for (const server of embedded) await server.stop();
    if (exitCode === 0) console.log('OpenDSP stopped.');
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    const sandboxConfig = loadSandboxConfig(sandboxEnv);
    // The platform verifies the identity tokens of the sandbox's profile (spec-example: its Cognito pool).
    const identity = platformIdentityEnvFor(sandboxConfig);
    const dspConfig = loadDspConfig({
      ...dspEnv,
      OMRON_ID_TOKEN_ISSUER: dspEnv.OMRON_ID_TOKEN_ISSUER || identity.OMRON_ID_TOKEN_ISSUER,
      OMRON_ID_TOKEN_AUDIENCE: dspEnv.OMRON_ID_TOKEN_AUDIENCE || identity.OMRON_ID_TOKEN_AUDIENCE,
    });
    await migrateDspDatabase(dspConfig.database, { type: dspConfig.environment.type, id: dspConfig.environment.id });
    await migrateSandboxDatabase(sandboxConfig.database);
    const { groupId } = await seedDemo(dspConfig, secrets.adminPassword);
    const sandboxOrm = await MikroORM.init(sandboxOrmConfig({ ...sandboxConfig.database, poolMax: 1 }));
    await ensureSandboxUser(sandboxOrm.em.fork(), SANDBOX_DEMO_USER, secrets.sandboxUserPassword);
    // The platform's OMRON client, registered with the secret the platform was given, so consent works offline.
    await upsertRegisteredApp(sandboxOrm.em.fork(), {
      clientId: dspConfig.omron.clientId,
      clientSecret: dspConfig.omron.clientSecret,
      displayName: dspConfig.environment.partnerName,
      redirectUris: [`${dspConfig.http.publicBaseUrl}/consent/callback`],
      notificationUri: `${dspConfig.http.publicBaseUrl}/omron/notifications`,
    });
    await sandboxOrm.close(true);

    apps.push(await startSandbox(sandboxConfig, { shutdownHooks: false }));
    apps.push(await startDsp(dspConfig, { shutdownHooks: false }));

    const line = '─'.repeat(72);
    console.log(
      [
        line,
        ` OpenDSP is running (local demo, ready in ${process.uptime().toFixed(1)} s; Ctrl+C stops it)`,
        line,
        ` Platform          ${dspConfig.http.publicBaseUrl}/`,
        `   partner admin   ${dspConfig.environment.partnerAdmin.id} / ${secrets.adminPassword}`,
        `   demo group ID   ${groupId}`,
        `   consent link    ${buildConsentUrl(dspConfig.http.publicBaseUrl, { groupId, redirectUrl: `${dspConfig.http.publicBaseUrl}/consent/result` })}`,
        ` OMRON sandbox     ${sandboxConfig.http.publicUrl}/`,
        `   test user       ${SANDBOX_DEMO_USER} / ${secrets.sandboxUserPassword}`,
        `   staging tool    ${sandboxConfig.http.publicUrl}/tool   (generate readings for the test user)`,
        ` Health            ${dspConfig.http.publicBaseUrl}/health/ready   ${sandboxConfig.http.publicUrl}/health/ready`,
        ` Database          ${embedded.length ? `embedded PostgreSQL (PGlite) in ${join(database.DATA_DIR, 'pglite')} (sandbox: pglite-sandbox)` : 'DATABASE_URL'}`,
        ` Demo credentials are kept in ${join(database.DATA_DIR, 'local-secrets.json')}`,
        line,
      ].join('\n'),
    );
  } catch (error) {
    if (error instanceof ConfigValidationError || error instanceof EnvironmentMismatchError) {
      console.error(error.message);
      await stop(78);
    }
    console.error(error);
    await stop(1);
  }
}

await main();
