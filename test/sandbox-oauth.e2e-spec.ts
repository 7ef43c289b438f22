import type { NestExpressApplication } from '@nestjs/platform-express';
import { EntityManager } from '@mikro-orm/postgresql';
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import request from 'supertest';
import { loadSandboxConfig } from '@opendsp/config';
import { createSandboxApp } from '../apps/omron-sandbox/src/bootstrap.js';
import { SandboxAccessTokens } from '../apps/omron-sandbox/src/oauth/index.js';
import { ensureSandboxUser } from '../apps/omron-sandbox/src/users/sandbox-users.js';
import type { SandboxUser } from '../apps/omron-sandbox/src/users/sandbox-user.entity.js';
import { adminQuery, createTestDatabase, freePort, itOnServer, type TestDatabase } from './support/test-database.js';
import { cookieFrom, hiddenField, openSignInForm, walkConsent } from './support/sandbox-oauth-consent.js';
import { testSandboxEnv } from './support/test-environment.js';

const REDIRECT_URI = 'https://partner.example.test/oauth';
const SPEC_SCOPES = 'bloodpressure activity weight temperature oxygen openid offline_access';
const USER = { email: 'taro@sandbox.test', password: 'correct horse battery staple' };

describe('OMRON sandbox OAuth server', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let base: string;
  let user: SandboxUser;
  let clientSecret: string;
  const extraApps: NestExpressApplication[] = [];

  // The `oidc` token profile, whose id_token openid-client expects; test/consent-upstreams.e2e-spec.ts covers `spec-example`.
  const sandbox = async (overrides: Record<string, string> = {}, port?: number) => {
    const instance = await createSandboxApp(
      loadSandboxConfig(
        testSandboxEnv({ DATABASE_URL: database.settings.url, SANDBOX_PUBLIC_URL: base, SANDBOX_TOKEN_PROFILE: 'oidc', ...overrides }),
      ),
      { shutdownHooks: false },
    );
    if (port) await instance.listen(port, '127.0.0.1');
    else await instance.init();
    return instance;
  };
  const server = () => app.getHttpServer();
  const authorizePath = (params: Record<string, string>) =>
    `/connect/authorize?${new URLSearchParams({ client_id: 'aviato-api', response_type: 'code', redirect_uri: REDIRECT_URI, scope: SPEC_SCOPES, ...params })}`;
  const tokenRequest = (form: Record<string, string | string[]>, instance = app) =>
    request(instance.getHttpServer()).post('/stg/connect/token').type('form').send(form);
  /** The spec's curl example: client_secret_post, no PKCE. */
  const codeFor = async (params: Record<string, string> = {}) => {
    const redirect = await walkConsent(server(), new URL(base + authorizePath({ state: 'xyz', ...params })), USER, 'approve');
    return redirect.searchParams.get('code')!;
  };
  const exchange = (code: string, instance = app) =>
    tokenRequest(
      { grant_type: 'authorization_code', client_id: 'aviato-api', client_secret: clientSecret, code, redirect_uri: REDIRECT_URI },
      instance,
    );
  const authenticate = (accessToken: string) => app.get(SandboxAccessTokens).authenticate(`Bearer ${accessToken}`);

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await sandbox({}, port);
    user = await ensureSandboxUser(app.get(EntityManager).fork(), USER.email, USER.password);
    const registered = await request(server())
      .post('/admin/registered-apps')
      .send({
        clientId: 'aviato-api',
        displayName: 'Aviato Health',
        redirectUris: [REDIRECT_URI],
        policyUri: 'https://partner.example.test/privacy',
        tosUri: 'https://partner.example.test/terms',
        logoUri: 'https://partner.example.test/logo.png',
        notificationUri: 'https://partner.example.test/notify',
      })
      .expect(201);
    clientSecret = registered.body.clientSecret;
  });
  afterAll(async () => {
    for (const instance of extraApps) await instance.close();
    await app?.close();
    await database?.drop();
  });

  it('serves authorize → token → refresh → revoke to openid-client, a standard third-party client', async () => {
    const config = await client.discovery(new URL(`${base}/stg`), 'aviato-api', undefined, client.ClientSecretPost(clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata().token_endpoint).toBe(`${base}/stg/connect/token`);
    const measure = (accessToken: string) =>
      client.fetchProtectedResource(
        config,
        accessToken,
        new URL(`${base}/stg/api/measurement`),
        'POST',
        new URLSearchParams({ type: 'bloodpressure', since: '2015-12-01' }),
        new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      );
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: SPEC_SCOPES,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await walkConsent(server(), authorizationUrl, USER, 'approve');
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);

    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    // openid-client has verified the id_token's RS256 signature against the JWKS, its iss, aud, exp and nonce.
    expect(tokens.claims()).toMatchObject({ sub: user.sub, email: USER.email, iss: `${base}/stg`, aud: 'aviato-api' });
    await expect(authenticate(tokens.access_token)).resolves.toEqual({
      userId: user.id,
      sub: user.sub,
      clientId: 'aviato-api',
      scopes: SPEC_SCOPES.split(' '),
    });

    // The other half of the sandbox accepts the token: the spec's Data API call, made by the same client library.
    const measurements = await measure(tokens.access_token);
    expect(measurements.status).toBe(200);
    expect(await measurements.json()).toMatchObject({ status: 0, result: { bloodPressure: [] } });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, { redirect_uri: REDIRECT_URI });
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(authenticate(refreshed.access_token)).resolves.toMatchObject({ sub: user.sub });

    await client.tokenRevocation(config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' });
    // The whole family stops working: both access tokens and the refresh token.
    await expect(authenticate(refreshed.access_token)).resolves.toBeNull();
    await expect(authenticate(tokens.access_token)).resolves.toBeNull();
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // openid-client turns the 401's `WWW-Authenticate: Bearer error="invalid_token"` into an error.
    await expect(measure(refreshed.access_token)).rejects.toMatchObject({
      status: 401,
      cause: [{ scheme: 'bearer', parameters: { error: 'invalid_token' } }],
    });
  });

  it("answers the spec's token request with exactly the spec's fields and an id_token the JWKS verifies", async () => {
    const response = await exchange(await codeFor()).expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(Object.keys(response.body).sort()).toEqual(
      ['access_token', 'expiresIn', 'expires_in', 'id_token', 'refresh_token', 'success', 'tokenType', 'token_type'].sort(),
    );
    expect(response.body).toMatchObject({ success: true, expires_in: 3600, expiresIn: 3600, token_type: 'Bearer', tokenType: 'Bearer' });
    const jwks = await request(server()).get('/stg/.well-known/jwks.json').expect(200);
    const { payload, protectedHeader } = await jwtVerify(response.body.id_token, createLocalJWKSet(jwks.body), {
      issuer: `${base}/stg`,
      audience: 'aviato-api',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: user.sub, email: USER.email });
    expect(payload.exp! - payload.iat!).toBe(3600);

    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: 'aviato-api',
      client_secret: clientSecret,
      refresh_token: response.body.refresh_token,
      redirect_uri: REDIRECT_URI,
    }).expect(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(
      ['access_token', 'expiresIn', 'expires_in', 'refresh_token', 'success', 'tokenType', 'token_type'].sort(),
    );
  });

  it('shows the app on the consent page and sends a denial back with the state', async () => {
    const form = await openSignInForm(server(), authorizePath({ state: 'abc' }));
    expect(form.html).toContain('Aviato Health');
    const wrongPassword = await request(server())
      .post('/connect/authorize/sign-in')
      .set('Cookie', form.cookie)
      .type('form')
      .send({ request: form.request, csrf: form.csrf, email: USER.email, password: 'wrong' })
      .expect(401);
    expect(wrongPassword.text).toContain('The e-mail address or password is incorrect.');
    // The page shown again still carries a token that works.
    expect(hiddenField(wrongPassword.text, 'csrf')).toBe(form.csrf);
    const denied = await walkConsent(server(), new URL(base + authorizePath({ state: 'abc' })), USER, 'deny');
    expect(denied.toString()).toBe(`${REDIRECT_URI}?error=access_denied&state=abc`);
  });

  it('never redirects for an unknown client or an unregistered redirect URI', async () => {
    const refused: Record<string, string>[] = [
      { client_id: 'nobody' },
      { redirect_uri: 'https://evil.example.test/oauth' },
      { redirect_uri: `${REDIRECT_URI}/` },
    ];
    for (const params of refused) {
      const page = await request(server()).get(authorizePath(params)).expect(400);
      expect(page.headers.location).toBeUndefined();
      expect(page.text).toContain('Authorization request refused');
    }
    await request(server()).get('/connect/authorize').expect(400);
  });

  it('sends other bad authorization requests back to the app as RFC 6749 errors', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'bloodpressure steps' }, 'invalid_scope'],
      [{ scope: '' }, 'invalid_scope'],
      [{ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
    ];
    for (const [params, error] of cases) {
      const response = await request(server())
        .get(authorizePath({ state: 's1', ...params }))
        .expect(303);
      const location = new URL(response.headers.location!);
      expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('s1');
    }
    // A repeated parameter is ambiguous (RFC 6749 §3.1); unknown ones are ignored.
    const repeated = await request(server())
      .get(`${authorizePath({})}&scope=openid`)
      .expect(303);
    expect(new URL(repeated.headers.location!).searchParams.get('error')).toBe('invalid_request');
    await request(server())
      .get(authorizePath({ unknown_param: 'x' }))
      .expect(200);
  });

  it('refuses a forged consent form and a decision without a session', async () => {
    const form = await openSignInForm(server(), authorizePath({}));
    const carried = form.request;
    const anonymous = await request(server())
      .post('/connect/authorize/decision')
      .type('form')
      .send({ request: carried, decision: 'approve' })
      .expect(303);
    expect(anonymous.headers.location).toMatch(/^\/connect\/authorize\?/);
    const signedIn = await request(server())
      .post('/connect/authorize/sign-in')
      .set('Cookie', form.cookie)
      .type('form')
      .send({ request: carried, csrf: form.csrf, ...USER })
      .expect(303);
    const cookie = cookieFrom(signedIn, 'omron_sandbox_session');
    await request(server())
      .post('/connect/authorize/decision')
      .set('Cookie', cookie)
      .type('form')
      .send({ request: carried, decision: 'approve', csrf: 'forged' })
      .expect(403);
  });

  it('refuses a sign-in form without its CSRF token or cookie with a friendly 403, and signs nobody in', async () => {
    const form = await openSignInForm(server(), authorizePath({ state: 'csrf' }));
    const other = await openSignInForm(server(), authorizePath({ state: 'csrf' }));
    expect(other.cookie).not.toBe(form.cookie);
    const attempts: { cookie?: string; csrf?: string }[] = [
      { cookie: form.cookie }, // no token
      { cookie: form.cookie, csrf: '' },
      { cookie: form.cookie, csrf: 'forged' },
      { cookie: form.cookie, csrf: other.csrf }, // another browser's token
      { csrf: form.csrf }, // the right token without its cookie, as a cross-site post would send it
      { cookie: 'omron_sandbox_sign_in=guessed', csrf: form.csrf },
    ];
    for (const attempt of attempts) {
      let post = request(server()).post('/connect/authorize/sign-in').type('form');
      if (attempt.cookie) post = post.set('Cookie', attempt.cookie);
      const refused = await post.send({ request: form.request, ...(attempt.csrf === undefined ? {} : { csrf: attempt.csrf }), ...USER });
      expect({ attempt, status: refused.status }).toEqual({ attempt, status: 403 });
      expect(refused.headers['content-type']).toMatch(/^text\/html/);
      expect(refused.text).toContain('This sign-in form has expired or was not sent from this sandbox.');
      expect(refused.text).toContain(`href="/connect/authorize?`);
      expect(refused.headers['set-cookie'] ?? []).toEqual([]);
      expect(refused.headers.location).toBeUndefined();
    }
    // The same form with its token and cookie signs in.
    const signedIn = await request(server())
      .post('/connect/authorize/sign-in')
      .set('Cookie', form.cookie)
      .type('form')
      .send({ request: form.request, csrf: form.csrf, ...USER })
      .expect(303);
    expect(cookieFrom(signedIn, 'omron_sandbox_session')).toMatch(/^omron_sandbox_session=ey/);
  });

  it('makes codes single-use: a second exchange fails and revokes what the first issued', async () => {
    const code = await codeFor();
    const first = await exchange(code).expect(200);
    const second = await exchange(code).expect(400);
    expect(second.body).toMatchObject({ success: false, error: 'invalid_grant' });
    await expect(authenticate(first.body.access_token)).resolves.toBeNull();
    await tokenRequest({
      grant_type: 'refresh_token',
      client_id: 'aviato-api',
      client_secret: clientSecret,
      refresh_token: first.body.refresh_token,
    }).expect(400);
  });

  it('lets codes expire after 10 minutes', async () => {
    const code = await codeFor();
    await adminQuery(database.settings.url, `update omron_sandbox.oauth_authorization_code set expires_at = now() - interval '1 second'`);
    expect((await exchange(code).expect(400)).body).toMatchObject({
      success: false,
      error: 'invalid_grant',
      error_description: expect.stringContaining('expired'),
    });
  });

  it('checks PKCE verifiers', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const challenge = await client.calculatePKCECodeChallenge(verifier);
    const code = await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' });
    const form = {
      grant_type: 'authorization_code',
      client_id: 'aviato-api',
      client_secret: clientSecret,
      code,
      redirect_uri: REDIRECT_URI,
    };
    expect((await tokenRequest(form).expect(400)).body.error).toBe('invalid_grant');
    expect((await tokenRequest({ ...form, code_verifier: client.randomPKCECodeVerifier() }).expect(400)).body.error).toBe('invalid_grant');
    await tokenRequest({ ...form, code_verifier: verifier }).expect(200);
  });

  it('answers bad token requests with RFC 6749 errors and success: false, never a crash', async () => {
    const code = await codeFor();
    const good = {
      grant_type: 'authorization_code',
      client_id: 'aviato-api',
      client_secret: clientSecret,
      code,
      redirect_uri: REDIRECT_URI,
    };
    const cases: [Record<string, string | string[]>, number, string][] = [
      [{ ...good, client_secret: 'wrong-secret' }, 401, 'invalid_client'],
      [{ ...good, client_id: 'nobody' }, 401, 'invalid_client'],
      [{ ...good, client_secret: '' }, 401, 'invalid_client'],
      [{ ...good, grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [{ ...good, grant_type: '' }, 400, 'invalid_request'],
      [{ ...good, code: 'd32af9ff1e30e34a9b1434e2ad38b6dd' }, 400, 'invalid_grant'],
      [{ ...good, code: '' }, 400, 'invalid_request'],
      [{ ...good, redirect_uri: 'https://partner.example.test/other' }, 400, 'invalid_grant'],
      [{ ...good, code: [code, code] }, 400, 'invalid_request'],
      [{ ...good, scope: 'bloodpressure ecg' }, 400, 'invalid_scope'],
      [{ ...good, grant_type: 'refresh_token', refresh_token: 'not-a-token' }, 400, 'invalid_grant'],
    ];
    for (const [form, status, error] of cases) {
      const response = await tokenRequest(form);
      expect({ form, status: response.status, body: response.body }).toMatchObject({ status, body: { success: false, error } });
    }
    const json = await request(server()).post('/stg/connect/token').send(good).expect(400);
    expect(json.body).toMatchObject({ success: false, error: 'invalid_request' });
    const basic = await request(server())
      .post('/stg/connect/token')
      .auth('aviato-api', 'wrong')
      .type('form')
      .send({ grant_type: 'authorization_code', code })
      .expect(401);
    expect(basic.headers['www-authenticate']).toMatch(/^Basic/);
    // None of the refusals consumed the code; unknown parameters are ignored (RFC 6749 §3.2).
    await tokenRequest({ ...good, unknown_param: 'x' }).expect(200);
  });

  it('detects refresh-token reuse and revokes the family', async () => {
    const first = await exchange(await codeFor()).expect(200);
    const refresh = { grant_type: 'refresh_token', client_id: 'aviato-api', client_secret: clientSecret, redirect_uri: REDIRECT_URI };
    const second = await tokenRequest({ ...refresh, refresh_token: first.body.refresh_token }).expect(200);
    const reused = await tokenRequest({ ...refresh, refresh_token: first.body.refresh_token }).expect(400);
    expect(reused.body).toMatchObject({ success: false, error: 'invalid_grant' });
    await expect(authenticate(second.body.access_token)).resolves.toBeNull();
    await tokenRequest({ ...refresh, refresh_token: second.body.refresh_token }).expect(400);
    const mismatch = await exchange(await codeFor()).expect(200);
    await tokenRequest({
      ...refresh,
      refresh_token: mismatch.body.refresh_token,
      redirect_uri: 'https://partner.example.test/other',
    }).expect(400);
  });

  itOnServer('lets only one of two concurrent refreshes with the same token through', async () => {
    const issued = await exchange(await codeFor()).expect(200);
    const refresh = {
      grant_type: 'refresh_token',
      client_id: 'aviato-api',
      client_secret: clientSecret,
      refresh_token: issued.body.refresh_token,
    };
    const statuses = (await Promise.all([tokenRequest(refresh), tokenRequest(refresh)])).map((response) => response.status);
    expect(statuses.sort()).toEqual([200, 400]);
  });

  it("accepts HTTP Basic client authentication, openid-client's default", async () => {
    const config = await client.discovery(new URL(`${base}/stg`), 'aviato-api', undefined, client.ClientSecretBasic(clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    const state = client.randomState();
    const callback = await walkConsent(
      server(),
      client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'bloodpressure openid', state }),
      USER,
      'approve',
    );
    const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: state });
    // Without offline_access there is no refresh token.
    expect(tokens.refresh_token).toBeUndefined();
    await expect(authenticate(tokens.access_token)).resolves.toMatchObject({ scopes: ['bloodpressure', 'openid'] });
  });

  it('takes the access-token lifetime, rotation and reuse detection from its settings', async () => {
    const keep = await sandbox({ SANDBOX_REFRESH_ROTATION: 'keep', SANDBOX_ACCESS_TOKEN_TTL_SECONDS: '120' });
    extraApps.push(keep);
    const issued = await exchange(await codeFor(), keep).expect(200);
    expect(issued.body.expires_in).toBe(120);
    const refresh = {
      grant_type: 'refresh_token',
      client_id: 'aviato-api',
      client_secret: clientSecret,
      refresh_token: issued.body.refresh_token,
    };
    const once = await tokenRequest(refresh, keep).expect(200);
    const twice = await tokenRequest(refresh, keep).expect(200);
    expect(once.body.refresh_token).toBe(issued.body.refresh_token);
    expect(twice.body.refresh_token).toBe(issued.body.refresh_token);

    const lenient = await sandbox({ SANDBOX_REFRESH_REUSE_DETECTION: 'false' });
    extraApps.push(lenient);
    const lenientTokens = await exchange(await codeFor(), lenient).expect(200);
    const lenientRefresh = { ...refresh, refresh_token: lenientTokens.body.refresh_token };
    const rotated = await tokenRequest(lenientRefresh, lenient).expect(200);
    await tokenRequest(lenientRefresh, lenient).expect(400);
    // Without reuse detection the replay is refused but the family lives on.
    await expect(authenticate(rotated.body.access_token)).resolves.not.toBeNull();
  });

  it('lets access tokens expire', async () => {
    const issued = await exchange(await codeFor()).expect(200);
    await adminQuery(
      database.settings.url,
      `update omron_sandbox.oauth_token set expires_at = now() - interval '1 second' where kind = 'access'`,
    );
    await expect(authenticate(issued.body.access_token)).resolves.toBeNull();
  });

  it('answers revocation with 200 for any token, and 401 for a bad client', async () => {
    const issued = await exchange(await codeFor()).expect(200);
    const revoke = (form: Record<string, string>) => request(server()).post('/stg/connect/revocation').type('form').send(form);
    await revoke({ client_id: 'aviato-api', client_secret: clientSecret, token: 'unknown-token' }).expect(200, { success: true });
    await revoke({ client_id: 'aviato-api', client_secret: 'wrong', token: issued.body.access_token }).expect(401);
    await expect(authenticate(issued.body.access_token)).resolves.not.toBeNull();
    await revoke({
      client_id: 'aviato-api',
      client_secret: clientSecret,
      token: issued.body.access_token,
      token_type_hint: 'access_token',
    }).expect(200);
    await expect(authenticate(issued.body.access_token)).resolves.toBeNull();
    await revoke({ client_id: 'aviato-api', client_secret: clientSecret }).expect(400);
  });

  it('serves /prd as well, with its own issuer', async () => {
    const response = await request(server())
      .post('/prd/connect/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        client_id: 'aviato-api',
        client_secret: clientSecret,
        code: await codeFor(),
        redirect_uri: REDIRECT_URI,
      })
      .expect(200);
    const jwks = await request(server()).get('/prd/.well-known/jwks.json').expect(200);
    await jwtVerify(response.body.id_token, createLocalJWKSet(jwks.body), { issuer: `${base}/prd`, audience: 'aviato-api' });
  });

  it('keeps staging and production apart: tokens issued at /stg do not work at /prd, and the other way round', async () => {
    const staging = (await exchange(await codeFor()).expect(200)).body as { access_token: string; refresh_token: string };
    const measure = (environment: string, token: string) =>
      request(server())
        .post(`/${environment}/api/measurement`)
        .set('Authorization', `Bearer ${token}`)
        .type('form')
        .send({ type: 'weight' });
    expect((await measure('prd', staging.access_token)).status).toBe(401);
    expect((await measure('stg', staging.access_token)).status).toBe(200);
    const refreshAt = (environment: string, refreshToken: string) =>
      request(server())
        .post(`/${environment}/connect/token`)
        .type('form')
        .send({ grant_type: 'refresh_token', client_id: 'aviato-api', client_secret: clientSecret, refresh_token: refreshToken });
    const wrongHost = await refreshAt('prd', staging.refresh_token);
    expect([wrongHost.status, wrongHost.body.error]).toEqual([400, 'invalid_grant']);
    // Revoking at /prd does nothing to a staging grant.
    await request(server())
      .post('/prd/connect/revocation')
      .type('form')
      .send({ client_id: 'aviato-api', client_secret: clientSecret, token: staging.refresh_token })
      .expect(200);
    expect((await refreshAt('stg', staging.refresh_token)).status).toBe(200);

    const production = await request(server())
      .post('/prd/connect/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        client_id: 'aviato-api',
        client_secret: clientSecret,
        code: await codeFor(),
        redirect_uri: REDIRECT_URI,
      })
      .expect(200);
    expect((await measure('stg', production.body.access_token)).status).toBe(401);
    expect((await measure('prd', production.body.access_token)).status).toBe(200);
  });

  it('keeps its signing key across restarts', async () => {
    const before = await request(server()).get('/.well-known/jwks.json').expect(200);
    const restarted = await sandbox();
    extraApps.push(restarted);
    const after = await request(restarted.getHttpServer()).get('/.well-known/jwks.json').expect(200);
    expect(after.body).toEqual(before.body);
    expect(before.body.keys).toHaveLength(1);
  });
});
