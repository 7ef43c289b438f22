import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Browser, Page } from 'playwright-core';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import type { TestDatabase } from './support/test-database.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { startListeningPlatform } from './support/listening-platform.js';

const PASSWORD = 'browser api clients passphrase';

describe('API clients and the interactive API reference in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let group: ProgramGroup;
  const requests: string[] = [];
  const consoleProblems: string[] = [];
  const failedResponses: string[] = [];

  beforeAll(async () => {
    ({ database, app, baseUrl } = await startListeningPlatform());
    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const admin = new AdminAccount('browser-admin', 'Browser Admin', 'browser@example.test', 'partner-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    group = new ProgramGroup('Browser API group');
    await orm.em.fork().persist([admin, group]).flush();
    await orm.close(true);
    browser = await launchBrowser();
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('response', (response) => {
      if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy|Refused to/.test(message.text()))
        consoleProblems.push(`${message.text()} ${message.location().url}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('creates an API client in the portal, then authorises Swagger UI with it and calls the API from the page', async () => {
    await page.goto(`${baseUrl}/login`);
    await page.fill('#loginId', 'browser-admin');
    await page.fill('#password', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/`);

    await page.click('nav a[href="/api-clients"]');
    await page.click('a[href="/api-clients/new"]');
    await page.fill('#name', 'Browser warehouse');
    await page.check('input[name="scopes"][value="participants:read"]');
    await page.check('input[name="scopes"][value="measurements:read"]');
    await page.check('input[name="groupAccess"][value="some"]');
    await page.check(`input[name="groupIds"][value="${group.groupId}"]`);
    await page.click('button.primary');
    await expect(page.locator('h1').textContent()).resolves.toBe('Client credentials');
    const clientId = (await page.locator('#client-id').textContent())!.trim();
    const secret = (await page.locator('#client-secret').textContent())!.trim();
    expect(secret).toMatch(/^dsps_/);
    await screenshot(page, 'api-client-secret-once');
    await page.click('a.button');
    await expect(page.locator('body').textContent()).resolves.not.toContain(secret);

    await page.goto(`${baseUrl}/api/v1/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    // A block for every operation and every webhook event (OpenAPI 3.1 `webhooks`) the served document holds.
    const served = (await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      webhooks: Record<string, Record<string, unknown>>;
    };
    const blocks = [...Object.values(served.paths), ...Object.values(served.webhooks)].reduce(
      (sum, item) => sum + Object.keys(item).filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key)).length,
      0,
    );
    expect(blocks).toBeGreaterThanOrEqual(21);
    expect(await page.locator('.opblock').count()).toBe(blocks);
    await expect(page.locator('.info .title').textContent()).resolves.toContain('OpenDSP REST API');

    // Authorise with the client-credentials flow: Swagger UI fetches a token from /api/v1/oauth/token itself.
    await page.click('button.authorize');
    await page.fill('input#client_id_clientCredentials, .auth-container input[id^="client_id"]', clientId);
    await page.fill('.auth-container input[id^="client_secret"]', secret);
    await page.click('.auth-container .auth-btn-wrapper button.authorize');
    await page.waitForSelector('.auth-container h6:text("Authorized")', { timeout: 15_000 });
    await screenshot(page, 'api-docs-authorized');
    await page.click('.auth-container button.btn-done');

    await page.click('#operations-Groups-listGroups .opblock-summary');
    await page.click('#operations-Groups-listGroups button.try-out__btn');
    await page.click('#operations-Groups-listGroups button.execute');
    const status = await page.waitForSelector('#operations-Groups-listGroups .live-responses-table tbody .response-col_status', {
      timeout: 15_000,
    });
    expect((await status.textContent())!.trim()).toBe('200');
    await expect(page.locator('#operations-Groups-listGroups .live-responses-table').textContent()).resolves.toContain(group.groupId);
    await screenshot(page, 'api-docs-try-it-out');

    // Everything came from this server: no CDN, no third party.
    expect(requests.filter((url) => !url.startsWith(baseUrl) && !url.startsWith('data:'))).toEqual([]);
    expect(failedResponses).toEqual([]);
    // The portal has no favicon; Chromium asks for /favicon.ico on its pages regardless.
    expect(consoleProblems.filter((problem) => !problem.endsWith('/favicon.ico'))).toEqual([]);
  });
});
