import { readFile } from 'node:fs/promises';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Browser, Download, Page } from 'playwright-core';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { buildConsentUrl, LOGIN_ID_PATTERN } from '@opendsp/participants';
import { adminQuery, type TestDatabase } from './support/test-database.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { PNG_SIGNATURE, pngEncodes, svgEncodes } from './support/qr-image.js';
import { startListeningPlatform } from './support/listening-platform.js';

const PASSWORD = 'browser enrollment passphrase';
const WELCOME = 'https://clinic.example.jp/welcome';

describe('enrollment admin in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let groupId: string;

  beforeAll(async () => {
    ({ database, app, baseUrl } = await startListeningPlatform());
    const orm = await MikroORM.init(dspOrmConfig(database.settings));
    const em = orm.em.fork();
    const admin = new AdminAccount('browser-admin', 'Browser Admin', 'browser-admin@example.test', 'partner-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    const group = new ProgramGroup('Home Blood Pressure Study');
    em.persist([admin, group, new GroupRedirectUrl(group, WELCOME, true)]);
    await em.flush();
    groupId = group.groupId;
    await orm.close(true);

    browser = await launchBrowser();
    const context = await browser.newContext({ acceptDownloads: true, locale: 'en-US' });
    page = await context.newPage();
    await page.goto(`${baseUrl}/login`);
    await page.fill('#loginId', 'browser-admin');
    await page.fill('#password', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  async function downloaded(click: () => Promise<void>): Promise<{ download: Download; content: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    return { download, content: await readFile((await download.path())!) };
  }

  it('provisions participants from a CSV file and hands out their credentials once, as CSV and as printable cards', async () => {
    await page.goto(`${baseUrl}/groups/${groupId}`);
    await expect(page.locator('#consent-links code#consent-url-0').textContent()).resolves.toBe(
      buildConsentUrl(baseUrl, { groupId, redirectUrl: WELCOME }),
    );
    await expect(page.locator('#consent-links button.copy').isVisible()).resolves.toBe(true);
    await screenshot(page, 'enrollment-group-panel');

    await page.click('#enrollment >> text=Add participants');
    await page.waitForURL(`${baseUrl}/groups/${groupId}/participants/new`);
    // A file with a problem first: the page names the line and nothing is created.
    await page.setInputFiles('#file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('internal_customer_id\nP-1\nP-1\n') });
    await page.click('#provision-csv');
    await expect(page.locator('#csv-problems').textContent()).resolves.toContain('Line 3:');
    await screenshot(page, 'enrollment-csv-problems');
    expect(await adminQuery(database.settings.url, `select count(*)::int as n from participant`)).toEqual([{ n: 0 }]);

    await page.setInputFiles('#file', {
      name: 'participants.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('\uFEFFinternal_customer_id\r\nP-001\r\nP-002\r\n""\r\n'),
    });
    await page.click('#provision-csv');
    await page.waitForURL(/\/credential-sheet\?sheet=/);
    const sheetUrl = page.url();
    const rows = await page
      .locator('#credentials tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    expect(rows).toHaveLength(3);
    expect(rows.map((row) => row[3])).toEqual(['P-001', 'P-002', '']);
    for (const [, loginId, password] of rows) {
      expect(loginId).toMatch(LOGIN_ID_PATTERN);
      expect(password).toMatch(/^[2-9A-HJ-NP-Za-km-z]{16}$/);
    }
    await screenshot(page, 'enrollment-credential-sheet');

    const { download, content } = await downloaded(() => page.click('#download-csv'));
    expect(download.suggestedFilename()).toMatch(new RegExp(`^credentials-${groupId}-\\d{4}-\\d\\d-\\d\\d\\.csv$`));
    const csv = content.toString('utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    for (const [ogscId, loginId, password, customerId] of rows) expect(csv).toContain(`${ogscId},${loginId},${password},${customerId},`);
    expect(csv).toContain(buildConsentUrl(baseUrl, { groupId, redirectUrl: WELCOME }));

    // The printable page: one card per participant with the link, the login ID and the password.
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('.credential-card').count()).resolves.toBe(3);
    await expect(page.locator('.credential-card').first().isVisible()).resolves.toBe(true);
    await expect(page.locator('#credentials').isVisible()).resolves.toBe(false);
    await screenshot(page, 'enrollment-credential-cards-print');
    await page.emulateMedia({ media: 'screen' });

    // Shown once: back to the same address, the passwords are gone.
    const again = await page.goto(sheetUrl);
    expect(again!.status()).toBe(410);
    await expect(page.locator('h1').textContent()).resolves.toBe('Credential sheet no longer available');
    await expect(page.content()).resolves.not.toContain(rows[0][2]);
  });

  it('builds a consent link with a back header and downloads its QR code as PNG and SVG', async () => {
    await page.goto(`${baseUrl}/groups/${groupId}/consent-link`);
    await page.fill('#custom_params', "display_back:1,back_url:'https://clinic.example.jp/app',back_url_params:'from:dsp'");
    await page.click('#link-form button');
    await page.waitForURL(/custom_params=/);
    const url = buildConsentUrl(baseUrl, {
      groupId,
      redirectUrl: WELCOME,
      customParams: "display_back:1,back_url:'https://clinic.example.jp/app',back_url_params:'from:dsp'",
    });
    await expect(page.locator('#consent-url').textContent()).resolves.toBe(url);
    // The QR preview loads (same-origin image, allowed by the page's CSP).
    await expect(
      page
        .locator('img.qr')
        .evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth > 0,
        ),
    ).resolves.toBe(true);
    await screenshot(page, 'enrollment-consent-link');

    const png = await downloaded(() => page.click('#download-png'));
    expect(png.download.suggestedFilename()).toBe(`consent-link-${groupId}.png`);
    expect(png.content.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(pngEncodes(png.content, url, { margin: 4, errorCorrectionLevel: 'M' })).toBe(true);

    const svg = await downloaded(() => page.click('#download-svg'));
    expect(svg.download.suggestedFilename()).toBe(`consent-link-${groupId}.svg`);
    expect(svgEncodes(svg.content.toString('utf8'), url, { margin: 4, errorCorrectionLevel: 'M' })).toBe(true);

    // A key the DSP document does not allow is refused on the page.
    await page.fill('#custom_params', "display_back:1,back_url:'https://clinic.example.jp/app',theme:'dark'");
    await page.click('#link-form button');
    await expect(page.locator('#custom_params-error').textContent()).resolves.toContain('The key theme is not allowed');
    await expect(page.locator('#consent-url').count()).resolves.toBe(0);
  });
});
