import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Browser, Page } from 'playwright-core';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { ProgramGroup } from '@opendsp/groups';
import { generateReadings } from '../apps/omron-sandbox/src/measurements/reading-generator.js';
import { adminQuery, type TestDatabase } from './support/test-database.js';
import { ARTIFACTS_DIR, launchBrowser, screenshot } from './support/browser.js';
import { createParticipant, storeReadings, withOrm, type CreatedParticipant } from './support/data-views-fixtures.js';
import { startListeningPlatform } from './support/listening-platform.js';

const PASSWORD = 'browser data views passphrase';
const DAY = 86_400_000;

describe('portal data views in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let heart: CreatedParticipant;
  let quiet: CreatedParticipant;

  beforeAll(async () => {
    ({ database, app, baseUrl } = await startListeningPlatform());
    const now = Date.now();
    await withOrm(database.settings, async (orm) => {
      const em = orm.em.fork();
      const study = new ProgramGroup('Hypertension Study');
      const coaching = new ProgramGroup('Weight Coaching');
      const admin = new AdminAccount('browser-admin', 'Browser Admin', 'browser@example.test', 'partner-admin');
      admin.passwordHash = await PasswordHasher.hash(PASSWORD);
      em.persist([study, coaching, admin]);
      await em.flush();
      heart = await createParticipant(em, {
        connection: 'active',
        groups: [
          { group: study, status: 'consented', internalCustomerId: 'HS-0001' },
          { group: coaching, status: 'consented', internalCustomerId: 'WC-0001' },
        ],
      });
      quiet = await createParticipant(em, {
        connection: 'reconnect_needed',
        groups: [{ group: study, status: 'consented', internalCustomerId: 'HS-0002' }],
      });
      await createParticipant(em, { loginId: 'hs-invitee', groups: [{ group: study, status: 'invited', internalCustomerId: 'HS-0003' }] });
      await createParticipant(em, {
        connection: 'active',
        groups: [{ group: coaching, status: 'consented', internalCustomerId: 'WC-0002' }],
      });
      const range = (fromDays: number, toDays: number) => ({ from: new Date(now - fromDays * DAY), to: new Date(now - toDays * DAY) });
      await storeReadings(em, heart.participant.id, [
        ...generateReadings({ type: 'bloodpressure', ...range(29, 0.1), count: 60, seed: 11, afibRate: 0.12 }),
        ...generateReadings({ type: 'weight', ...range(29, 0.1), count: 15, seed: 12 }),
        ...generateReadings({ type: 'activity', ...range(29, 0), count: 29, seed: 13 }),
        ...generateReadings({ type: 'temperature', ...range(29, 0.1), count: 10, seed: 14 }),
        ...generateReadings({ type: 'oxygen', ...range(29, 0.1), count: 10, seed: 15 }),
        ...generateReadings({ type: 'ecg', ...range(10, 0.1), count: 2, seed: 16 }),
      ]);
      await storeReadings(em, quiet.participant.id, generateReadings({ type: 'bloodpressure', ...range(40, 15), count: 12, seed: 17 }), {
        receivedAt: new Date(now - 15 * DAY),
      });
    });
    browser = await launchBrowser();
    page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('opens the dashboard, follows a number to its list, filters the list, and sees AFib readings marked on a participant’s chart', async () => {
    await page.goto(`${baseUrl}/login`);
    await page.fill('#loginId', 'browser-admin');
    await page.fill('#password', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/`);

    // Dashboard: the funnel of both groups, as numbers and as a chart.
    await expect(page.locator('h1').textContent()).resolves.toBe('Dashboard');
    await expect(page.locator('a[data-figure="invited"]').textContent()).resolves.toBe('5');
    await expect(page.locator('svg[data-chart="funnel"] a.funnel-step').count()).resolves.toBe(7);
    // Sync figures come from the sync module (SyncStatusService).
    await expect(page.locator('a[data-figure="deadLetters"]').textContent()).resolves.toBe('0');
    await screenshot(page, 'data-views-dashboard');

    // The "stale" number opens exactly the participant who went quiet.
    await expect(page.locator('a[data-figure="stale"]').textContent()).resolves.toBe('1');
    await page.click('a[data-figure="stale"]');
    await page.waitForURL(/\/participants\?.*reading=stale/);
    await expect(page.locator('a.ogsc-id').allTextContents()).resolves.toEqual([quiet.participant.ogscId]);
    await screenshot(page, 'data-views-list-stale');

    // Filter with the form: consented participants who need to reconnect.
    await page.click('nav.nav >> text=Participants');
    await expect(page.locator('a.ogsc-id').count()).resolves.toBe(5);
    await page.selectOption('#consent', 'consented');
    await page.selectOption('#connection', 'reconnect_needed');
    await page.click('#participant-filters button[type="submit"]');
    await page.waitForURL(/connection=reconnect_needed/);
    await expect(page.locator('a.ogsc-id').allTextContents()).resolves.toEqual([quiet.participant.ogscId]);
    await screenshot(page, 'data-views-list-filtered');

    // Search by the partner's own customer ID, then open the participant.
    await page.click('text=Clear filters');
    await page.fill('#q', 'HS-0001');
    await page.click('#participant-filters button[type="submit"]');
    await page.waitForURL(/q=HS-0001/);
    await expect(page.locator('a.ogsc-id').allTextContents()).resolves.toEqual([heart.participant.ogscId]);
    await page.click('a.ogsc-id');
    await page.waitForURL(`${baseUrl}/participants/${heart.participant.ogscId}`);

    // Every possible-AFib reading of the period is marked on the blood pressure chart and in the table.
    const afib = await adminQuery(
      database.settings.url,
      `select id::text from blood_pressure_reading where participant_id = $1 and possible_afib order by measured_at`,
      [heart.participant.id],
    );
    expect(afib.length).toBeGreaterThan(0);
    const markers = page.locator('svg[data-chart="blood-pressure"] g.marker');
    await expect(markers.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-row')))).resolves.toEqual(
      afib.map((row) => row.id),
    );
    await expect(markers.first().isVisible()).resolves.toBe(true);
    await expect(page.locator('tr.afib').count()).resolves.toBe(afib.length);
    await expect(page.locator('.afib-note').textContent()).resolves.toContain(`${afib.length} readings flagged as possible AFib`);
    // The marker sits where its reading's time is on the x axis of the drawn chart.
    const box = await page.locator('svg[data-chart="blood-pressure"]').boundingBox();
    const markerBox = await markers.first().locator('path').boundingBox();
    expect(markerBox!.x).toBeGreaterThan(box!.x);
    expect(markerBox!.x + markerBox!.width).toBeLessThan(box!.x + box!.width);
    for (const chart of ['pulse', 'weight', 'steps', 'steps-hourly', 'temperature', 'oxygen']) {
      await expect(page.locator(`svg[data-chart="${chart}"]`).isVisible()).resolves.toBe(true);
    }
    await expect(page.locator('svg.chart.ecg polyline.waveform').count()).resolves.toBe(3);
    await screenshot(page, 'data-views-participant-afib');

    // Printed, the charts stay (vector, no script) and the navigation goes.
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('nav.nav').isVisible()).resolves.toBe(false);
    await expect(page.locator('svg[data-chart="blood-pressure"]').isVisible()).resolves.toBe(true);
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.pdf({ path: join(ARTIFACTS_DIR, 'data-views-participant.pdf'), format: 'A4', printBackground: true });
    await page.emulateMedia({ media: 'screen' });

    // In Japanese.
    await page.click('.language-switch button');
    await page.waitForLoadState('load');
    await expect(page.locator('#bp-heading').textContent()).resolves.toBe('血圧');
    await expect(page.locator('.afib-note').textContent()).resolves.toContain('心房細動の可能性');
    await screenshot(page, 'data-views-participant-ja');
  });
});
