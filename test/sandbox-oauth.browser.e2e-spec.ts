import type { NestExpressApplication } from '@nestjs/platform-express';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { loadSandboxConfig } from '@opendsp/config';
import { startSandbox } from '../apps/omron-sandbox/src/bootstrap.js';
import { ensureSandboxUser } from '../apps/omron-sandbox/src/users/sandbox-users.js';
import { createTestDatabase, freePort, type TestDatabase } from './support/test-database.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { testSandboxEnv } from './support/test-environment.js';

const REDIRECT_URI = 'https://partner.example.test/oauth';
const USER = { email: 'browser.user@sandbox.test', password: 'browser-password-123' };

describe('OMRON sandbox authorization website in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let base: string;
  let clientSecret: string;

  const authorizeUrl = (state: string) =>
    `${base}/connect/authorize?${new URLSearchParams({
      client_id: 'browser-app',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'bloodpressure weight openid offline_access',
      state,
    })}`;

  /** The partner's site does not exist; the browser's visit to it is answered here and recorded. */
  async function partnerPage(): Promise<{ page: Page; landed: Promise<URL> }> {
    const page = await browser.newPage();
    let resolve!: (url: URL) => void;
    const landed = new Promise<URL>((done) => (resolve = done));
    await page.route('https://partner.example.test/**', async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === '/oauth') resolve(url);
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Partner</h1>' });
    });
    return { page, landed };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startSandbox(
      loadSandboxConfig(testSandboxEnv({ DATABASE_URL: database.settings.url, SANDBOX_PUBLIC_URL: base, SANDBOX_PORT: String(port) })),
      { shutdownHooks: false },
    );
    await ensureSandboxUser(app.get(EntityManager).fork(), USER.email, USER.password);
    const registered = await request(app.getHttpServer())
      .post('/admin/registered-apps')
      .send({
        clientId: 'browser-app',
        displayName: 'Browser Partner App',
        redirectUris: [REDIRECT_URI],
        logoUri: 'https://partner.example.test/logo.png',
        policyUri: 'https://partner.example.test/privacy',
        tosUri: 'https://partner.example.test/terms',
      })
      .expect(201);
    clientSecret = registered.body.clientSecret;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('signs in, shows the app and its scopes, and approves with a code the token endpoint accepts', async () => {
    const { page, landed } = await partnerPage();
    await page.goto(authorizeUrl('approve-state'));
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('E-mail address').fill(USER.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('incorrect');
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expect(page.getByRole('heading', { name: 'Connect Browser Partner App' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('img.oauth-logo').getAttribute('src')).resolves.toBe('https://partner.example.test/logo.png');
    await expect(page.getByRole('link', { name: 'Privacy policy' }).getAttribute('href')).resolves.toBe(
      'https://partner.example.test/privacy',
    );
    await expect(page.getByRole('link', { name: 'Terms of service' }).getAttribute('href')).resolves.toBe(
      'https://partner.example.test/terms',
    );
    await expect(
      page.locator('[data-scope]').evaluateAll((items) => items.map((item) => item.getAttribute('data-scope'))),
    ).resolves.toEqual(['bloodpressure', 'weight', 'openid', 'offline_access']);
    await screenshot(page, 'sandbox-oauth-consent');
    await page.getByRole('button', { name: 'Allow' }).click();

    const callback = await landed;
    expect(callback.searchParams.get('state')).toBe('approve-state');
    const tokens = await request(app.getHttpServer())
      .post('/stg/connect/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        client_id: 'browser-app',
        client_secret: clientSecret,
        code: callback.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
      })
      .expect(200);
    // The default profile answers as the spec's example does: camelCase fields and no id_token.
    expect(Object.keys(tokens.body).sort()).toEqual(['access_token', 'expiresIn', 'refresh_token', 'success', 'tokenType']);
    expect(tokens.body).toMatchObject({ success: true, tokenType: 'Bearer' });
    await page.close();
  });

  it('sends a denial back to the app as access_denied with the state', async () => {
    const { page, landed } = await partnerPage();
    await page.goto(authorizeUrl('deny-state'));
    await page.getByLabel('E-mail address').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    const callback = await landed;
    expect(callback.toString()).toBe(`${REDIRECT_URI}?error=access_denied&state=deny-state`);
    await page.close();
  });

  it('shows an error page, not a redirect, for an unregistered redirect URI', async () => {
    const page = await browser.newPage();
    const response = await page.goto(
      authorizeUrl('x').replace(encodeURIComponent(REDIRECT_URI), encodeURIComponent('https://evil.example.test/')),
    );
    expect(response!.status()).toBe(400);
    expect(page.url()).toContain(`${base}/connect/authorize`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not registered');
    await screenshot(page, 'sandbox-oauth-error');
    await page.close();
  });
});
