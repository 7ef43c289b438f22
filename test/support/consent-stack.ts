import { createServer, type Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { PasswordHasher } from '@opendsp/admin-auth';
import { loadDspConfig, platformIdentityEnvFor, SandboxConfig, type DspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { buildConsentUrl, Enrollment, Participant } from '@opendsp/participants';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';
import { upsertRegisteredApp } from '../../apps/omron-sandbox/src/registered-apps/registered-apps.service.js';
import { adminQuery, createTestDatabase, freePort, type TestDatabase } from './test-database.js';
import { PortalTestClient } from '../../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { startSandboxHarness, type SandboxHarness } from './sandbox-harness.js';
import { walkConsent } from './sandbox-oauth-consent.js';
import { testDspEnv } from './test-environment.js';

export const CONSENT_CLIENT_ID = 'opendsp-consent-test';
export const CONSENT_CLIENT_SECRET = 'consent-test-client-secret-0123456789';
/** Sandbox users' password (sandbox-harness). */
export const SANDBOX_PASSWORD = 'password-123';

/** The partner's landing page: records every visit, answers with a page showing the query. */
export interface PartnerSite {
  url: string;
  visits: URL[];
}

/**
 * The platform listening on a loopback port (so a browser and OMRON's redirects can reach it), the OMRON
 * sandbox on a database of its own with the platform registered as `${platform}/consent/callback`, and a
 * partner landing site. Rows the admin side would create (groups, pre-created participants) are made
 * with the ORM.
 */
export interface ConsentStack {
  database: TestDatabase;
  sandbox: SandboxHarness;
  platform: NestExpressApplication;
  config: DspConfig;
  baseUrl: string;
  partner: PartnerSite;
  em(): EntityManager;
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  sandboxSql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** An active group with the partner site's `/welcome` (and any further URLs) registered. */
  group(displayName: string, extraUrls?: string[]): Promise<ProgramGroup>;
  consentUrl(group: ProgramGroup, options?: { redirectUrl?: string; customParams?: string; state?: string }): string;
  /** A pre-created participant as the admin side makes them: login ID, argon2id password, invited to `group`. */
  preCreated(
    group: ProgramGroup,
    input: { loginId: string; password: string; expiresAt?: Date; mustChangePassword?: boolean },
  ): Promise<Participant>;
  /** A browser stand-in for the platform (keeps its Secure cookies, reads CSRF tokens). */
  client(): PortalTestClient;
  /** Opens a consent link (path and query only) and expects the sign-in page next. */
  openLink(client: PortalTestClient, url: string): Promise<void>;
  /**
   * Presses an OMRON button (`/consent/omron` by default), signs in at the sandbox as `email` (created when
   * missing) and approves or denies; returns the callback URL OMRON sends the browser to (not followed yet).
   */
  omron(client: PortalTestClient, email: string, decision?: 'approve' | 'deny', button?: string): Promise<URL>;
  /** Follows a URL of the platform (path and query). */
  follow(client: PortalTestClient, url: URL | string): ReturnType<PortalTestClient['get']>;
  /** The sandbox user's OMRON user ID (`sub`). */
  subOf(email: string): Promise<string>;
  /** Starts counting HTTP requests that reach the sandbox's token endpoint. */
  countTokenRequests(): Promise<() => Promise<number>>;
  /** Starts counting HTTP requests that reach one of the sandbox's endpoints (e.g. `/stg/connect/revocation`). */
  countRequests(endpoint: string): Promise<() => Promise<number>>;
  close(): Promise<void>;
}

/**
 * `sandboxEnv` configures the sandbox (e.g. `SANDBOX_TOKEN_PROFILE`: `spec-example` by default, or `oidc`); the
 * platform is told the issuer and audience of that profile's identity tokens unless `platformEnv` says otherwise.
 */
export async function startConsentStack(
  platformEnvOrFactory: Record<string, string> | ((platformBaseUrl: string) => Promise<Record<string, string>>) = {},
  sandboxEnv: Record<string, string> = {},
): Promise<ConsentStack> {
  const [database, sandboxDatabase] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000', ...sandboxEnv }, sandboxDatabase);
  const identity = Object.fromEntries(
    Object.entries(platformIdentityEnvFor(sandbox.app.get(SandboxConfig))).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // A factory can start an upstream of its own that needs the platform's callback URL first.
  const platformEnv = typeof platformEnvOrFactory === 'function' ? await platformEnvOrFactory(baseUrl) : platformEnvOrFactory;
  await upsertRegisteredApp(sandbox.em(), {
    clientId: CONSENT_CLIENT_ID,
    clientSecret: CONSENT_CLIENT_SECRET,
    displayName: 'OpenDSP consent tests',
    redirectUris: [`${baseUrl}/consent/callback`],
  });
  const config = loadDspConfig(
    testDspEnv({
      DATABASE_URL: database.settings.url,
      // Pages only, as a web process serves them: no token refresh job running under the tests' feet.
      PROCESS_ROLE: 'web',
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      OMRON_OAUTH_WEBSITE_URL: sandbox.baseUrl,
      OMRON_OAUTH_API_URL: `${sandbox.baseUrl}/stg`,
      OMRON_REVOCATION_URL: `${sandbox.baseUrl}/stg/connect/revocation`,
      OMRON_CLIENT_ID: CONSENT_CLIENT_ID,
      OMRON_CLIENT_SECRET: CONSENT_CLIENT_SECRET,
      DSP_PARTNER_NAME: 'Acme Health',
      DSP_LANGUAGE: 'en',
      ...identity,
      ...platformEnv,
    }),
  );
  const platform = await createDspApp(config, { shutdownHooks: false });
  await platform.listen(port, '127.0.0.1');
  const orm = await MikroORM.init(dspOrmConfig(database.settings));
  const partner = await startPartnerSite();

  const stack: ConsentStack = {
    database,
    sandbox,
    platform,
    config,
    baseUrl,
    partner: partner.site,
    em: () => orm.em.fork() as EntityManager,
    sql: (text, params = []) => adminQuery(database.settings.url, text, params) as never,
    sandboxSql: (text, params = []) => adminQuery(sandboxDatabase.settings.url, text, params) as never,
    async group(displayName, extraUrls = []) {
      const em = stack.em();
      const group = new ProgramGroup(displayName);
      em.persist(group);
      await em.flush();
      em.persist([partner.site.url, ...extraUrls].map((url, index) => new GroupRedirectUrl(group, url, index === 0)));
      await em.flush();
      return group;
    },
    consentUrl(group, options = {}) {
      const url = new URL(
        buildConsentUrl(baseUrl, {
          groupId: group.groupId,
          redirectUrl: options.redirectUrl ?? partner.site.url,
          customParams: options.customParams,
        }),
      );
      if (options.state !== undefined) url.searchParams.set('state', options.state);
      return url.toString();
    },
    async preCreated(group, input) {
      const em = stack.em();
      const participant = new Participant('pre_created');
      Object.assign(participant, {
        loginId: input.loginId,
        passwordHash: await PasswordHasher.hash(input.password),
        mustChangePassword: input.mustChangePassword ?? true,
        credentialsExpireAt: input.expiresAt ?? new Date(Date.now() + 14 * 86_400_000),
      });
      const enrollment = new Enrollment(participant, group, 'invited');
      enrollment.invitedAt = new Date();
      em.persist([participant, enrollment]);
      await em.flush();
      return participant;
    },
    client: () => new PortalTestClient(platform.getHttpServer()),
    async openLink(client, url) {
      const parsed = new URL(url);
      const start = await client.get(parsed.pathname + parsed.search);
      if (start.status !== 303 || start.headers.location !== '/consent/sign-in') {
        throw new Error(`the consent link answered ${start.status} ${start.headers.location ?? ''}: ${start.text.slice(0, 500)}`);
      }
      await client.get('/consent/sign-in');
    },
    async omron(client, email, decision = 'approve', button = '/consent/omron') {
      await sandbox.user(email);
      const toOmron = await client.post(button);
      if (toOmron.status !== 302) throw new Error(`${button} answered ${toOmron.status}: ${toOmron.text.slice(0, 500)}`);
      return walkConsent(sandbox.app.getHttpServer(), new URL(toOmron.headers.location!), { email, password: SANDBOX_PASSWORD }, decision);
    },
    follow(client, url) {
      const parsed = new URL(url, baseUrl);
      return client.get(parsed.pathname + parsed.search);
    },
    async subOf(email) {
      return (await sandbox.user(email)).sub;
    },
    countTokenRequests() {
      return stack.countRequests('/stg/connect/token');
    },
    async countRequests(endpoint) {
      const faults = `${sandbox.baseUrl}/admin/faults`;
      await fetch(faults, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ endpoint, seed: 1 }),
      });
      return async () => {
        const list = (await (await fetch(faults)).json()) as { endpoint: string; injected: { none: number } }[];
        return list.find((entry) => entry.endpoint === endpoint)?.injected.none ?? 0;
      };
    },
    async close() {
      await platform.close();
      await orm.close(true);
      await new Promise((resolve) => partner.server.close(resolve));
      await sandbox.close();
      await database.drop();
    },
  };
  return stack;
}

async function startPartnerSite(): Promise<{ server: Server; site: PartnerSite }> {
  const port = await freePort();
  const site: PartnerSite = { url: `http://127.0.0.1:${port}/welcome`, visits: [] };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    site.visits.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Partner</title><h1>Welcome to the program</h1><p id="query">${escapeHtml(url.search)}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, site };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
