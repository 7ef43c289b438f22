import { decodeJwt, decodeProtectedHeader } from 'jose';
import { CONSENT_CLIENT_ID, CONSENT_CLIENT_SECRET, startConsentStack, type ConsentStack } from './support/consent-stack.js';
import { startOidcUpstream, type OidcUpstream } from './support/oidc-upstream.js';

/**
 * Issue 15: OpenDSP enrols participants whatever shape OMRON's token answer takes. Three upstreams: the sandbox
 * answering exactly as the Partner API spec's example (no id_token; the access token is a Cognito ID token for
 * another audience), the sandbox answering as OpenID Connect (an id_token), and oidc-provider, a standard
 * OpenID Connect server OpenDSP was not written for.
 */
async function enrol(stack: ConsentStack, toUpstream: (client: ReturnType<ConsentStack['client']>) => Promise<URL>) {
  const group = await stack.group(`Upstream ${Math.random().toString(36).slice(2, 8)}`);
  const client = stack.client();
  await stack.openLink(client, stack.consentUrl(group));
  const back = await stack.follow(client, await toUpstream(client));
  expect([back.status, back.headers.location]).toEqual([303, '/consent/consent']);
  const done = await client.post('/consent/consent', { decision: 'accept' });
  expect(done.status).toBe(303);
  const ogscId = new URL(done.headers.location!).searchParams.get('ogsc_id');
  expect(ogscId).toMatch(/^OG-/);
  const [row] = await stack.sql<Record<string, string>>(
    `select p.omron_user_id, c.custom_user_id, c.email, c.scopes, c.state, e.consented_scopes
       from participant p join omron_connection c on c.omron_user_id = p.omron_user_id
       join enrollment e on e.participant_id = p.id where p.ogsc_id = $1`,
    [ogscId],
  );
  return row!;
}

describe('enrolment through the sandbox in its spec-example profile (the default)', () => {
  let stack: ConsentStack;
  beforeAll(async () => {
    stack = await startConsentStack();
  }, 120_000);
  afterAll(() => stack?.close());

  it("answers the token request with exactly the spec example's fields, and OpenDSP enrols from the access token", async () => {
    const row = await enrol(stack, (client) => stack.omron(client, 'spec@sandbox.test'));
    const sub = await stack.subOf('spec@sandbox.test');
    expect(row).toMatchObject({ omron_user_id: sub, email: 'spec@sandbox.test', state: 'active' });
    expect(row.custom_user_id).toMatch(/^[0-9a-f]{64}$/);
    // The example has no scope: what was asked is recorded.
    expect(row.scopes).toBe('bloodpressure activity weight openid offline_access');
  });

  it('issues, on code exchange and on refresh, no id_token, camelCase lifetime and type, and a Cognito ID token as access token', async () => {
    const { sandbox } = stack;
    const user = await sandbox.user('shape@sandbox.test');
    const redirectUri = `${stack.baseUrl}/consent/callback`;
    // A code for the consent client, walked through the sandbox's own pages.
    const { walkConsent } = await import('./support/sandbox-oauth-consent.js');
    const authorize = new URL(`${sandbox.baseUrl}/connect/authorize`);
    authorize.search = new URLSearchParams({
      client_id: CONSENT_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'bloodpressure weight openid offline_access',
    }).toString();
    const callback = await walkConsent(
      sandbox.app.getHttpServer(),
      authorize,
      { email: 'shape@sandbox.test', password: 'password-123' },
      'approve',
    );
    const tokenRequest = (form: Record<string, string>) =>
      fetch(`${sandbox.baseUrl}/stg/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: CONSENT_CLIENT_ID, client_secret: CONSENT_CLIENT_SECRET, ...form }),
      }).then(async (response) => [response.status, (await response.json()) as Record<string, unknown>] as const);
    const [status, answer] = await tokenRequest({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
    });
    expect(status).toBe(200);
    expect(Object.keys(answer)).toEqual(['success', 'access_token', 'refresh_token', 'expiresIn', 'tokenType']);
    expect(answer).toMatchObject({ success: true, expiresIn: 3600, tokenType: 'Bearer' });
    const accessToken = answer.access_token as string;
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const claims = decodeJwt(accessToken);
    expect(Object.keys(claims).sort()).toEqual(
      [
        'sub',
        'email_verified',
        'iss',
        'cognito:username',
        'custom:userId',
        'origin_jti',
        'aud',
        'event_id',
        'token_use',
        'auth_time',
        'custom:appName',
        'exp',
        'iat',
        'jti',
        'email',
      ].sort(),
    );
    expect(claims).toMatchObject({ sub: user.sub, token_use: 'id', email: 'shape@sandbox.test', 'cognito:username': user.sub });
    expect(claims.iss).toMatch(/\/cognito-idp\/us-west-2_SandboxPool$/);
    expect(claims.aud).not.toBe(CONSENT_CLIENT_ID);
    // Cognito publishes a pool's keys at {iss}/.well-known/jwks.json; so does the sandbox.
    const jwks = (await (await fetch(`${claims.iss}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(accessToken).kid);
    // The access token works at the measurement API.
    const measurement = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ type: 'weight' }),
    });
    expect(measurement.status).toBe(200);

    const [refreshStatus, refreshed] = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: answer.refresh_token as string,
      redirect_uri: redirectUri,
    });
    expect(refreshStatus).toBe(200);
    expect(Object.keys(refreshed)).toEqual(['success', 'access_token', 'refresh_token', 'expiresIn', 'tokenType']);
    expect(decodeJwt(refreshed.access_token as string)).toMatchObject({ sub: user.sub, token_use: 'id' });
  });
});

describe('enrolment through the sandbox in its oidc profile', () => {
  let stack: ConsentStack;
  beforeAll(async () => {
    stack = await startConsentStack({}, { SANDBOX_TOKEN_PROFILE: 'oidc' });
  }, 120_000);
  afterAll(() => stack?.close());

  it('reads the identity from the id_token (aud = client ID)', async () => {
    const row = await enrol(stack, (client) => stack.omron(client, 'oidc@sandbox.test'));
    expect(row).toMatchObject({ omron_user_id: await stack.subOf('oidc@sandbox.test'), email: 'oidc@sandbox.test', custom_user_id: null });
  });
});

describe('enrolment through oidc-provider, a standard OpenID Connect server', () => {
  let stack: ConsentStack;
  let upstream: OidcUpstream;
  beforeAll(async () => {
    stack = await startConsentStack(async (baseUrl) => {
      upstream = await startOidcUpstream({
        clientId: CONSENT_CLIENT_ID,
        clientSecret: CONSENT_CLIENT_SECRET,
        redirectUri: `${baseUrl}/consent/callback`,
      });
      return {
        OMRON_OAUTH_WEBSITE_URL: upstream.url,
        OMRON_OAUTH_API_URL: upstream.url,
        OMRON_REVOCATION_URL: `${upstream.url}/connect/revocation`,
        OMRON_ID_TOKEN_ISSUER: upstream.url,
        OMRON_ID_TOKEN_AUDIENCE: CONSENT_CLIENT_ID,
      };
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await upstream?.close();
  });

  it('enrols, and records the scopes the answer says were granted', async () => {
    const row = await enrol(stack, async (client) => {
      const toUpstream = await client.post('/consent/omron');
      expect(toUpstream.status).toBe(302);
      return upstream.signIn(new URL(toUpstream.headers.location!), 'oidc-person-1');
    });
    // No `email` scope is asked (OMRON has none), so the id_token carries only `sub`.
    expect(row).toMatchObject({ omron_user_id: 'oidc-person-1', email: null, custom_user_id: null, state: 'active' });
    // oidc-provider grants offline_access only with prompt=consent, and says so in `scope`: the connection records
    // what the answer says was granted, not what was asked.
    expect(row.scopes.split(' ').sort()).toEqual(['activity', 'bloodpressure', 'openid', 'weight']);
    expect(row.consented_scopes).toBe('bloodpressure activity weight');
  });
});

describe('withdrawal without OMRON_REVOCATION_URL (OMRON documents no revocation endpoint)', () => {
  let stack: ConsentStack;
  beforeAll(async () => {
    stack = await startConsentStack({ OMRON_REVOCATION_URL: '' });
  }, 120_000);
  afterAll(() => stack?.close());

  it('deletes the tokens here, calls nothing at OMRON, and says the grant stays there', async () => {
    const group = await stack.group('No Revocation');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    await stack.follow(client, await stack.omron(client, 'stays@sandbox.test'));
    await client.get('/consent/consent');
    expect((await client.post('/consent/consent', { decision: 'accept' })).status).toBe(303);
    const sub = await stack.subOf('stays@sandbox.test');
    const [{ id: enrollmentId }] = await stack.sql<{ id: string }>(
      `select e.id from enrollment e join participant p on p.id = e.participant_id where p.omron_user_id = $1`,
      [sub],
    );
    const revocations = await stack.countRequests('/stg/connect/revocation');
    const confirm = await client.get(`/consent/me/withdraw/${enrollmentId}`);
    expect(confirm.text).toContain('id="grant-stays"');
    expect((await client.post(`/consent/me/withdraw/${enrollmentId}`)).status).toBe(303);
    const [connection] = await stack.sql(
      `select state, access_token_ciphertext, refresh_token_ciphertext from omron_connection where omron_user_id = $1`,
      [sub],
    );
    expect(connection).toEqual({ state: 'withdrawn', access_token_ciphertext: null, refresh_token_ciphertext: null });
    expect(await revocations()).toBe(0);
    const grants = await stack.sandboxSql(
      `select g.revoked_at is null as alive from omron_sandbox.oauth_grant g join omron_sandbox.sandbox_user u on u.id = g.user_id where u.sub = $1`,
      [sub],
    );
    expect(grants).toEqual([{ alive: true }]);
  });
});
