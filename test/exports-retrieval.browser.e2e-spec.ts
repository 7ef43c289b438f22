import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import SftpClient from 'ssh2-sftp-client';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { SftpDeliveryService } from '@opendsp/exports';
import { ProgramGroup } from '@opendsp/groups';
import { launchBrowser, screenshot } from './support/browser.js';
import { startListeningPlatform } from './support/listening-platform.js';
import { addParticipant, insertReadings, series } from './support/readings.js';
import { sshKeyPair } from './support/sftp-server.js';
import { freePort, type TestDatabase } from './support/test-database.js';

const PASSWORD = 'a retrieval admin passphrase';

describe('SFTP retrieval set up in a browser', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let sftpPort: number;
  let retrievalDir: string;
  let group: ProgramGroup;
  const partnerKey = sshKeyPair();

  async function partnerSignIn(): Promise<SftpClient> {
    const client = new SftpClient();
    await client.connect({ host: '127.0.0.1', port: sftpPort, username: 'acme', privateKey: partnerKey.private, retries: 0 });
    return client;
  }

  beforeAll(async () => {
    sftpPort = await freePort();
    retrievalDir = mkdtempSync(join(tmpdir(), 'opendsp-retrieval-browser-'));
    ({ database, app, baseUrl } = await startListeningPlatform({
      DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
      EXPORT_PARTNER_ID: 'acme',
      SFTP_SERVER_PORT: String(sftpPort),
      SFTP_SERVER_HOST: '127.0.0.1',
      EXPORT_RETRIEVAL_DIR: retrievalDir,
    }));
    const em = app.get(MikroORM).em.fork();
    const admin = new AdminAccount('retrieval-admin', 'Retrieval admin', 'ra@example.test', 'partner-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    group = new ProgramGroup('Salt study');
    await em.persist([admin, group]).flush();
    const participant = await addParticipant(em, group);
    await insertReadings(em, 'blood_pressure', participant, series(12));
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
    if (retrievalDir) rmSync(retrievalDir, { recursive: true, force: true });
  });

  it('creates a retrieval destination, registers the partner’s key, the partner fetches its files, and a revoked key is refused', async () => {
    await page.goto(`${baseUrl}/login`);
    await page.fill('#loginId', 'retrieval-admin');
    await page.fill('#password', PASSWORD);
    await page.click('button.primary');
    await page.waitForURL(`${baseUrl}/`);

    await page.goto(`${baseUrl}/exports/sftp/new`);
    await page.check('input[name="mode"][value="retrieval"]');
    await page.fill('#name', 'Acme retrieval');
    await page.fill('#username', 'acme');
    await page.check('input[name="kinds"][value="blood_pressure"]');
    await page.check(`input[name="groupIds"][value="${group.groupId}"]`);
    await page.fill('#schedule', '@hourly');
    await page.click('form.form button.primary');
    await page.waitForURL(/\/exports\/sftp\/[0-9a-f-]{36}\?notice=destination_created$/);
    const destinationId = /\/exports\/sftp\/([0-9a-f-]{36})/.exec(page.url())![1];
    await expect(page.locator('#retrieval-sign-in').textContent()).resolves.toBe(`sftp -P ${sftpPort} acme@127.0.0.1`);

    // A private key pasted by mistake is refused, and not shown back.
    await page.fill('#key-name', 'Acme ETL');
    await page.fill('#key-public', partnerKey.private);
    await page.click('#keys button.primary');
    await expect(page.locator('#key-public-error').textContent()).resolves.toContain('This is not an SSH public key');
    await expect(page.locator('#key-public').inputValue()).resolves.toBe('');
    await page.fill('#key-public', `${partnerKey.public} etl@acme.example`);
    await page.click('#keys button.primary');
    await page.waitForURL(/notice=retrieval_key_added/);
    await expect(page.locator('#keys tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('#keys tbody tr td').first().textContent()).resolves.toBe('Acme ETL');
    const lastSignIn = page.locator('#keys tbody tr td').nth(3);
    const neverUsed = await lastSignIn.textContent();
    await screenshot(page, 'exports-retrieval-keys');

    expect(await app.get(SftpDeliveryService).deliver(destinationId)).toMatchObject({ status: 'succeeded', rows: 12 });
    const client = await partnerSignIn();
    try {
      const [stamp] = await client.list(`/data/acme/blood_pressure/${group.groupId}`);
      const csv = (await client.get(`/data/acme/blood_pressure/${group.groupId}/${stamp.name}/001.csv`)) as Buffer;
      expect(parse(csv, { columns: true })).toHaveLength(12);
    } finally {
      await client.end();
    }
    await page.reload();
    // The key's last sign-in is shown now.
    const used = await lastSignIn.textContent();
    expect(used).not.toBe(neverUsed);
    expect(used).toMatch(/\d{4}/);

    await page.click('#keys button.danger');
    await page.waitForURL(/notice=retrieval_key_revoked/);
    await expect(page.locator('#keys tbody tr .badge').textContent()).resolves.toBe('revoked');
    await expect(page.locator('#keys button.danger').count()).resolves.toBe(0);
    await expect(partnerSignIn()).rejects.toThrow(/authentication/i);
  }, 60_000);
});
