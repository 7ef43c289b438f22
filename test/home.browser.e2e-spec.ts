import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Browser } from 'playwright-core';
import { loadDspConfig } from '@opendsp/config';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase, freePort, type TestDatabase } from './support/test-database.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { testDspEnv } from './support/test-environment.js';

describe('front page in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    app = await createDspApp(
      loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PORT: String(port), DSP_ENVIRONMENT_TYPE: 'staging' })),
    );
    await app.listen(port, '127.0.0.1');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('shows an unmistakable environment banner with its stylesheet applied', async () => {
    const page = await browser.newPage();
    // The front page sends a visitor who is not signed in to the sign-in page, banner and all.
    await page.goto(baseUrl);
    expect(new URL(page.url()).pathname).toBe('/login');
    const banner = page.getByRole('status');
    await expect(banner.textContent()).resolves.toContain('STAGING');
    // The staging colour comes from the served stylesheet, so this fails if static assets break.
    await expect(banner.evaluate((element) => element.ownerDocument.defaultView!.getComputedStyle(element).backgroundColor)).resolves.toBe(
      'rgb(180, 83, 9)',
    );
    await screenshot(page, 'home-staging');
  });
});
