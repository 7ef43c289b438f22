import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadDspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { OmronOAuthClient, OmronTokens, type OmronConnection } from '@opendsp/tokens';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';
import { upsertRegisteredApp } from '../../apps/omron-sandbox/src/registered-apps/registered-apps.service.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './test-database.js';
import { startSandboxHarness, type SandboxHarness } from './sandbox-harness.js';
import { walkConsent } from './sandbox-oauth-consent.js';
import { testDspEnv } from './test-environment.js';

export const CLIENT_ID = 'opendsp-tokens-test';
export const CLIENT_SECRET = 'tokens-test-client-secret-0123456789';
export const REDIRECT_URI = 'http://127.0.0.1:3000/consent/callback';
export const SCOPES = 'bloodpressure activity weight openid offline_access';

/** The platform and the OMRON sandbox, each on its own database, wired as in production but on loopback. */
export interface TokenStack {
  database: TestDatabase;
  /** OMRON's side has a database of its own, as it does in reality (and must on the single-session embedded database). */
  sandboxDatabase: TestDatabase;
  sandbox: SandboxHarness;
  platform: NestExpressApplication;
  tokens: OmronTokens;
  /** The platform's environment, for a second platform process. */
  platformEnv: Record<string, string | undefined>;
  /** Signs a new sandbox user in, approves the platform (for `scopes`, default SCOPES), exchanges the code and stores the connection. */
  connectUser(email: string, scopes?: string): Promise<OmronConnection>;
  /** Makes the connection's access token look due for refresh to the platform (OMRON still accepts it). */
  makeDue(connectionId: string): Promise<void>;
  /** The person revokes the platform at OMRON: the connection's stored refresh token is revoked at the sandbox. */
  revokeAtOmron(connectionId: string): Promise<void>;
  /** Calls the sandbox's measurement API with a token; returns the HTTP status and OMRON status. */
  measure(accessToken: string): Promise<{ http: number; status?: number }>;
  /** Access tokens the sandbox has issued for the user's grant: 1 + the refreshes that reached it. */
  accessTokensIssued(omronUserId: string): Promise<number>;
  close(): Promise<void>;
}

/** @param platformOverrides variables of the platform's environment to set besides the test defaults. */
export async function startTokenStack(
  sandboxEnv: Record<string, string> = {},
  platformOverrides: Record<string, string> = {},
): Promise<TokenStack> {
  const [database, sandboxDatabase] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const sandbox = await startSandboxHarness(sandboxEnv, sandboxDatabase);
  await upsertRegisteredApp(sandbox.em(), {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    displayName: 'OpenDSP token tests',
    redirectUris: [REDIRECT_URI],
  });
  const platformEnv = testDspEnv({
    DATABASE_URL: database.settings.url,
    OMRON_OAUTH_WEBSITE_URL: sandbox.baseUrl,
    OMRON_OAUTH_API_URL: `${sandbox.baseUrl}/stg`,
    OMRON_REVOCATION_URL: `${sandbox.baseUrl}/stg/connect/revocation`,
    OMRON_CLIENT_ID: CLIENT_ID,
    OMRON_CLIENT_SECRET: CLIENT_SECRET,
    ...platformOverrides,
  });
  const platform = await createDspApp(loadDspConfig(platformEnv), { shutdownHooks: false });
  await platform.init();
  const tokens = platform.get(OmronTokens);

  return {
    database,
    sandboxDatabase,
    sandbox,
    platform,
    tokens,
    platformEnv,
    async connectUser(email, scopes = SCOPES) {
      const user = await sandbox.user(email);
      const authorize = new URL('/connect/authorize', sandbox.baseUrl);
      authorize.search = new URLSearchParams({
        client_id: CLIENT_ID,
        response_type: 'code',
        scope: scopes,
        redirect_uri: REDIRECT_URI,
        state: 'st',
      }).toString();
      const redirect = await walkConsent(sandbox.app.getHttpServer(), authorize, { email, password: 'password-123' }, 'approve');
      const code = redirect.searchParams.get('code')!;
      const tokenSet = await platform.get(OmronOAuthClient).exchangeCode({ code, redirectUri: REDIRECT_URI, scope: scopes });
      return tokens.connect({ omronUserId: user.sub, scopes, redirectUri: REDIRECT_URI, tokens: tokenSet });
    },
    async makeDue(connectionId) {
      await adminQuery(
        database.settings.url,
        `update omron_connection set access_token_expires_at = now() + interval '5 minutes' where id = $1`,
        [connectionId],
      );
    },
    async revokeAtOmron(connectionId) {
      const [row] = await adminQuery<{ ciphertext: string }>(
        database.settings.url,
        `select refresh_token_ciphertext as ciphertext from omron_connection where id = $1`,
        [connectionId],
      );
      const token = platform
        .get(SecretBox)
        .decrypt(row!.ciphertext, { table: 'omron_connection', column: 'refresh_token', rowId: connectionId });
      const response = await fetch(`${sandbox.baseUrl}/stg/connect/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token, token_type_hint: 'refresh_token' }),
      });
      if (response.status !== 200) throw new Error(`the sandbox refused the revocation: HTTP ${response.status}`);
    },
    async measure(accessToken) {
      const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ type: 'bloodpressure', since: '2020-01-01' }),
      });
      const body = (await response.json().catch(() => ({}))) as { status?: number };
      return { http: response.status, status: body.status };
    },
    async accessTokensIssued(omronUserId) {
      const [row] = await adminQuery<{ count: string }>(
        sandboxDatabase.settings.url,
        `select count(*) from omron_sandbox.oauth_token t join omron_sandbox.oauth_grant g on g.id = t.grant_id
           join omron_sandbox.sandbox_user u on u.id = g.user_id where t.kind = 'access' and u.sub = $1`,
        [omronUserId],
      );
      return Number(row!.count);
    },
    async close() {
      await platform.close();
      await sandbox.close();
      await database.drop();
    },
  };
}
