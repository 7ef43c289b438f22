import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, screenshot } from './support/browser.js';
import { SANDBOX_PASSWORD, startConsentStack, type ConsentStack } from './support/consent-stack.js';

/** A phone-sized window, as most participants will see these pages. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe('consent flow in a browser, through the sandbox’s own sign-in and approval pages', () => {
  let stack: ConsentStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startConsentStack(), launchBrowser()]);
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await stack?.close();
  });

  async function phone(locale = 'en-US'): Promise<Page> {
    const context = await browser.newContext({ ...PHONE, locale });
    contexts.push(context);
    return context.newPage();
  }

  /** On the sandbox: signs in as `email` and allows (or denies) the connection. */
  async function atOmron(page: Page, email: string, decision: 'approve' | 'deny' = 'approve'): Promise<void> {
    await page.waitForURL(`${stack.sandbox.baseUrl}/connect/authorize?**`);
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', SANDBOX_PASSWORD);
    await page.click('form[action="/connect/authorize/sign-in"] button[type="submit"]');
    await page.waitForSelector(`button[value="${decision}"]`);
    await page.click(`button[value="${decision}"]`);
  }

  it('an OMRON connect user joins: sign-in page, OMRON sign-in and approval, consent screen, OGSC ID at the partner', async () => {
    const group = await stack.group('血圧改善プログラム');
    await stack.sandbox.user('browser-user@sandbox.test');
    const page = await phone('ja-JP');
    await page.goto(stack.consentUrl(group, { state: 'browser-1' }));
    await page.waitForURL(`${stack.baseUrl}/consent/sign-in`);
    expect(await page.textContent('#group-name')).toBe('血圧改善プログラム');
    // The environment's language is English; the participant switches to Japanese.
    await page.click('button[value="ja"]');
    await page.waitForURL(`${stack.baseUrl}/consent/sign-in`);
    expect(await page.textContent('#omron-sign-in')).toBe('OMRON connect でサインイン');
    await screenshot(page, 'consent-sign-in-ja');

    await page.click('#omron-sign-in');
    await atOmron(page, 'browser-user@sandbox.test');
    await page.waitForURL(`${stack.baseUrl}/consent/consent`);
    expect(await page.textContent('#recipient-partner')).toBe('Acme Health');
    expect(await page.textContent('#recipient-group')).toBe('血圧改善プログラム');
    expect(await page.locator('#scopes li').allTextContents()).toEqual([
      '血圧（最高血圧・最低血圧・脈拍・不規則脈波）',
      '活動量（歩数・距離・消費カロリー）',
      '体重・体組成',
    ]); // East Asia: temperature and SpO2 are offered in Europe only (Partner API spec).
    // Phone-friendly: nothing wider than the screen.
    expect(await page.locator('html').evaluate((root) => root.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'consent-screen-ja');

    await page.click('#accept');
    await page.waitForURL(`${stack.partner.url}?**`);
    const landing = new URL(page.url());
    expect(landing.searchParams.get('ogsc_id')).toMatch(/^OG-[0-9A-Z]{24}$/);
    expect(landing.searchParams.get('state')).toBe('browser-1');
    const [row] = await stack.sql(`select omron_user_id from participant where ogsc_id = $1`, [landing.searchParams.get('ogsc_id')]);
    expect(row).toEqual({ omron_user_id: await stack.subOf('browser-user@sandbox.test') });

    await page.goto(`${stack.baseUrl}/consent/me`);
    expect(await page.textContent('#ogsc-id')).toBe(landing.searchParams.get('ogsc_id'));
    expect(await page.getAttribute('#connection-state', 'data-state')).toBe('active');
    await screenshot(page, 'consent-participant-page-ja');
  });

  it('declining on the consent screen sends the participant back with error=access_denied and keeps nothing', async () => {
    const group = await stack.group('Decline in a browser');
    await stack.sandbox.user('browser-decliner@sandbox.test');
    const page = await phone();
    await page.goto(stack.consentUrl(group, { state: 'd-1' }));
    await page.click('#omron-sign-in');
    await atOmron(page, 'browser-decliner@sandbox.test');
    await page.waitForURL(`${stack.baseUrl}/consent/consent`);
    await screenshot(page, 'consent-screen-en');
    await page.click('#decline');
    await page.waitForURL(`${stack.partner.url}?**`);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ error: 'access_denied', state: 'd-1' });
    expect(
      await stack.sql(`select id from participant where omron_user_id = $1`, [await stack.subOf('browser-decliner@sandbox.test')]),
    ).toEqual([]);
  });

  it('denying at OMRON shows a friendly page that returns the participant with error=access_denied', async () => {
    const group = await stack.group('Deny at OMRON in a browser');
    await stack.sandbox.user('browser-denier@sandbox.test');
    const page = await phone();
    await page.goto(stack.consentUrl(group));
    await page.click('#omron-sign-in');
    await atOmron(page, 'browser-denier@sandbox.test', 'deny');
    await page.waitForSelector('#denied');
    await screenshot(page, 'consent-denied-at-omron');
    await page.click('#continue');
    await page.waitForURL(`${stack.partner.url}?**`);
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
  });

  it('a pre-created participant signs in for the first time, must choose a password, consents and connects OMRON', async () => {
    const group = await stack.group('Pilot (browser)');
    const participant = await stack.preCreated(group, { loginId: 'BROWSER-0001', password: 'Given-Password-7Qx9' });
    await stack.sandbox.user('browser-pilot@sandbox.test');
    const page = await phone();
    await page.goto(stack.consentUrl(group, { state: 'pc-1' }));
    await page.fill('#loginId', 'BROWSER-0001');
    await page.fill('#password', 'Given-Password-7Qx9');
    await page.click('#password-sign-in');
    await page.waitForURL(`${stack.baseUrl}/consent/password`);
    await page.fill('#password', 'short');
    await page.fill('#confirmation', 'short');
    await page.click('#save-password');
    expect(await page.textContent('#password-error')).toContain('at least 12 characters');
    await screenshot(page, 'consent-forced-password');
    await page.fill('#password', 'a long and unusual passphrase');
    await page.fill('#confirmation', 'a long and unusual passphrase');
    await page.click('#save-password');
    await page.waitForURL(`${stack.baseUrl}/consent/consent`);
    expect(await page.textContent('#recipient-group')).toBe('Pilot (browser)');
    await page.click('#accept');
    await page.waitForURL(`${stack.baseUrl}/consent/connect`);
    await screenshot(page, 'consent-connect-omron');
    await page.click('#omron-connect');
    await atOmron(page, 'browser-pilot@sandbox.test');
    await page.waitForURL(`${stack.partner.url}?**`);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ ogsc_id: participant.ogscId, state: 'pc-1' });
  });

  it('shows the back header from custom_params, whose icon leads to back_url with back_url_params', async () => {
    const group = await stack.group('Back Header (browser)');
    const back = new URL('/program/home', stack.partner.url).toString();
    const page = await phone();
    await page.goto(stack.consentUrl(group, { customParams: `display_back:1,back_url:'${back}',back_url_params:'param1:a,param2:b'` }));
    await page.waitForURL(`${stack.baseUrl}/consent/sign-in`);
    expect(await page.isVisible('#back-header')).toBe(true);
    expect(await page.textContent('#back-header .back-title')).toBe('Back Header (browser)');
    await screenshot(page, 'consent-back-header');
    await page.click('#back-link');
    await page.waitForURL(`${back}?param1=a&param2=b`);
    expect(stack.partner.visits.some((visit) => visit.pathname === '/program/home' && visit.search === '?param1=a&param2=b')).toBe(true);

    const plain = await phone();
    await plain.goto(stack.consentUrl(group));
    expect(await plain.isVisible('#back-header')).toBe(false);
  });

  it('a link with a redirect URL that is not registered shows an error page and goes nowhere', async () => {
    const group = await stack.group('Bad link (browser)');
    const page = await phone();
    const visits = stack.partner.visits.length;
    await page.goto(stack.consentUrl(group, { redirectUrl: 'https://evil.example/welcome' }));
    expect(new URL(page.url()).pathname).toBe('/consent/start');
    expect(await page.textContent('#consent-error')).toContain('not registered');
    await screenshot(page, 'consent-link-refused');
    expect(stack.partner.visits.length).toBe(visits);
  });
});
