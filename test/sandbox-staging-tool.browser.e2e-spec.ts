import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from './support/browser.js';
import { startSandboxHarness, type SandboxHarness } from './support/sandbox-harness.js';

describe('OMRON sandbox staging tool in a browser', () => {
  let sandbox: SandboxHarness;
  let browser: Browser;

  beforeAll(async () => {
    sandbox = await startSandboxHarness();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  it('signs up a test user and generates readings for them', async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.baseUrl}/tool`);
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('E-mail address').fill('browser@sandbox.test');
    await page.getByLabel('Password (at least 8 characters)').fill('password-123');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Test user created');
    await expect(page.getByTestId('user-sub').textContent()).resolves.toMatch(/^[0-9a-f-]{36}$/);

    await page.getByLabel('Type').selectOption('weight');
    await page.getByLabel('Number of readings').fill('25');
    await page.getByRole('button', { name: 'Generate Readings' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Generated and uploaded 25 weight readings');
    await expect(page.locator('td[data-type="weight"]').textContent()).resolves.toBe('25');

    // A bad form is shown again with the problem, and nothing changes.
    await page.getByLabel('From').fill('2024-03-10');
    await page.getByLabel('To').fill('2024-03-01');
    await page.getByRole('button', { name: 'Generate Readings' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('to must be after from');
    await expect(page.locator('td[data-type="weight"]').textContent()).resolves.toBe('25');
    await screenshot(page, 'sandbox-staging-tool-readings');

    // Signed out, the readings page asks for a sign-in; signing in again shows the same user.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${sandbox.baseUrl}/tool/readings`);
    await page.getByLabel('E-mail address').fill('browser@sandbox.test');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not correct');
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('td[data-type="weight"]').textContent()).resolves.toBe('25');
  });

  it('refuses a form posted without its CSRF token', async () => {
    const response = await fetch(`${sandbox.baseUrl}/tool/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'csrf@sandbox.test', password: 'password-123' }),
    });
    expect(response.status).toBe(403);
    const user = await fetch(`${sandbox.baseUrl}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'csrf@sandbox.test', password: 'password-123' }),
    });
    expect(user.status).toBe(201);
  });
});
