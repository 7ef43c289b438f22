import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Browser, Page } from 'playwright-core';
import { issueSetupLink } from '@opendsp/admin-auth';
import { loadDspConfig, type DspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, freePort, type TestDatabase } from './support/test-database.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { testDspEnv } from './support/test-environment.js';

const PASSWORD = 'a long and unusual passphrase';

describe('admin portal in a browser', () => {
  let database: TestDatabase;
  let config: DspConfig;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // Japanese is the environment's default language here; the test switches to English at the end.
    config = loadDspConfig(
      testDspEnv({ DATABASE_URL: database.settings.url, PORT: String(port), PUBLIC_BASE_URL: baseUrl, DSP_LANGUAGE: 'ja' }),
    );
    app = await createDspApp(config);
    await app.listen(port, '127.0.0.1');
    browser = await launchBrowser();
    page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('walks through first-run setup, sign-in, a new group with two redirect URLs, and a language switch', async () => {
    // First run: the partner admin exists without a password; the console (here: the same function) gives a setup link.
    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const { link } = await issueSetupLink(orm.em, config);
    await orm.close(true);

    await page.goto(link);
    await expect(page.locator('h1').textContent()).resolves.toBe('パスワードの設定');
    await page.fill('#password', 'short');
    await page.fill('#confirmation', 'short');
    await page.click('button.primary');
    await expect(page.locator('#password-error').textContent()).resolves.toContain('12 文字以上');
    await screenshot(page, 'portal-setup-field-error');
    await page.fill('#password', PASSWORD);
    await page.fill('#confirmation', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/login?notice=password_set`);
    await screenshot(page, 'portal-login');

    await page.fill('#loginId', 'test-admin');
    await page.fill('#password', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('ダッシュボード');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('STAGING');
    await screenshot(page, 'portal-dashboard');

    await page.click('nav.nav >> text=グループ');
    await page.click('text=新しいグループ');
    await page.fill('#displayName', '血圧改善プログラム');
    await page.fill('#description', '12 週間の家庭血圧測定');
    await page.click('button.primary');
    await page.waitForURL(/\/groups\/[0-9A-Z]{12}\?notice=group_created$/);
    const groupId = (await page.locator('#group-id').textContent())!.trim();
    expect(groupId).toMatch(/^[0-9A-Z]{12}$/);
    expect(page.url()).toContain(groupId);
    // The copy button is progressive enhancement: shown by /static/portal.js, which the CSP allows.
    await expect(page.locator('button.copy[data-copy-target="group-id"]').isVisible()).resolves.toBe(true);

    for (const url of ['https://clinic.example.jp/welcome', 'https://clinic.example.jp/thanks']) {
      await page.fill('#url', url);
      await page.click('#redirect-urls button.primary');
      await page.waitForURL(/notice=url_added/);
    }
    const rows = page.locator('#redirect-urls tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.nth(0).textContent()).resolves.toContain('https://clinic.example.jp/welcome');
    await expect(rows.nth(0).textContent()).resolves.toContain('既定');
    await expect(rows.nth(1).textContent()).resolves.toContain('https://clinic.example.jp/thanks');
    // A bad one is refused in place, with the reason next to the field.
    await page.fill('#url', 'http://clinic.example.jp/insecure');
    await page.click('#redirect-urls button.primary');
    await expect(page.locator('#url-error').textContent()).resolves.toContain('https://');
    await page.goto(`${baseUrl}/groups/${groupId}`);
    await screenshot(page, 'portal-group-details-ja');

    await page.click('.language-switch button');
    await page.waitForURL(`${baseUrl}/groups/${groupId}`);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.locator('#redirect-urls h2').textContent()).resolves.toBe('Redirect destination URLs');
    await expect(page.locator('#group-id').textContent()).resolves.toBe(groupId);
    await screenshot(page, 'portal-group-details-en');

    // The choice sticks to the account, and the audit log saw it all.
    await page.goto(`${baseUrl}/audit`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Audit log');
    const actions = await adminQuery(database.settings.url, `select action from audit_event order by id`);
    expect(actions.map((row) => row.action)).toEqual(
      expect.arrayContaining(['admin.bootstrapped', 'auth.setup_completed', 'auth.login', 'group.created', 'redirect_url.added']),
    );
    await screenshot(page, 'portal-audit');
  });
});
