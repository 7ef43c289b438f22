import { readFile } from 'node:fs/promises';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import type { TestDatabase } from './support/test-database.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { addParticipant, insertReadings, series } from './support/readings.js';
import { startListeningPlatform } from './support/listening-platform.js';
import { unzip } from './support/unzip.js';

const PASSWORD = 'a browser download passphrase';

describe('CSV download in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let group: ProgramGroup;
  let participant: Participant;

  beforeAll(async () => {
    ({ database, app, baseUrl } = await startListeningPlatform({ PROCESS_ROLE: 'web', DSP_LANGUAGE: 'ja' }));
    const em = app.get(MikroORM).em.fork();
    const admin = new AdminAccount('download-admin', 'ダウンロード担当', 'dl@example.test', 'partner-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    group = new ProgramGroup('減塩プログラム');
    await em.persist([admin, group]).flush();
    participant = await addParticipant(em, group, { internalCustomerId: '山田太郎-0042' });
    await insertReadings(em, 'blood_pressure', participant, series(24, { start: new Date('2026-11-22T15:00:00Z'), stepMs: 3_600_000 }));
    await insertReadings(em, 'temperature', participant, series(3, { firstId: 100 }));
    browser = await launchBrowser();
    page = await (await browser.newContext({ locale: 'ja-JP', acceptDownloads: true })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('signs in, chooses a group, kinds and days, and downloads a CSV that Excel reads as UTF-8', async () => {
    await page.goto(`${baseUrl}/login`);
    await page.fill('#loginId', 'download-admin');
    await page.fill('#password', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/`);
    await page.click('nav.nav >> text=CSV ダウンロード');
    await page.waitForURL(`${baseUrl}/exports`);
    await expect(page.locator('h1').textContent()).resolves.toBe('CSV ダウンロード');

    await page.selectOption('#groupId', group.groupId);
    await page.fill('#from', '2026-11-23');
    await page.fill('#to', '2026-11-23');
    // Blood pressure is ticked already, and so is the BOM in a Japanese environment.
    await expect(page.locator('input[name="kinds"][value="blood_pressure"]').isChecked()).resolves.toBe(true);
    await expect(page.locator('input[name="bom"]').isChecked()).resolves.toBe(true);
    await screenshot(page, 'exports-download-form');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button.primary')]);
    expect(csv.suggestedFilename()).toBe(`${group.groupId}_20261123-20261123_blood_pressure.csv`);
    const bytes = await readFile((await csv.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
    // 24 hourly readings from 00:00 Tokyo time on the 23rd: all of that day.
    expect(rows).toHaveLength(24);
    expect(rows[0]).toMatchObject({
      ogsc_id: participant.ogscId,
      internal_customer_id: '山田太郎-0042',
      measured_at: '2026-11-23T00:00:00',
      utc_offset: '+09:00',
    });

    // Two kinds come as a zip; an empty range field means all time.
    await page.fill('#from', '');
    await page.fill('#to', '');
    await page.check('input[name="kinds"][value="temperature"]');
    const [zip] = await Promise.all([page.waitForEvent('download'), page.click('button.primary')]);
    expect(zip.suggestedFilename()).toBe(`${group.groupId}.zip`);
    const files = unzip(await readFile((await zip.path())!));
    expect([...files.keys()]).toEqual(['blood_pressure.csv', 'temperature.csv']);
    expect(parse(files.get('temperature.csv')!, { columns: true, bom: true })).toHaveLength(3);

    // A mistake comes back as the form with the problem next to the field.
    await page.fill('#participants', 'OG-NOBODY');
    await page.click('button.primary');
    await expect(page.locator('#participants-error').textContent()).resolves.toContain('このグループの参加者ではありません');
    await screenshot(page, 'exports-download-error');
  });
});
