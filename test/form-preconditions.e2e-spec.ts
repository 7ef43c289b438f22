import { startConsentStack, type ConsentStack } from './support/consent-stack.js';

/**
 * Forms validated by the global ValidationPipe whose answer to a mistake is not a plain page: a
 * precondition checked before the form (a sign-in waiting for its second factor, the consent flow's
 * stage), a page that sets its CSP form targets, and language switches that only redirect.
 */
describe('forms with preconditions and their own answers to mistakes', () => {
  let stack: ConsentStack;
  const formAction = (policy: string | undefined) => /form-action ([^;]+)/.exec(policy ?? '')?.[1];
  const pageLanguage = (html: string) => /<html lang="(\w+)">/.exec(html)?.[1];

  beforeAll(async () => {
    stack = await startConsentStack();
  }, 120_000);
  afterAll(() => stack?.close());

  it('sends a second factor without a sign-in waiting for it to the sign-in page, whatever the form holds', async () => {
    const client = stack.client();
    await client.get('/login');
    for (const form of [{}, { code: '123456' }]) {
      const answer = await client.post('/login/totp', form);
      expect([answer.status, answer.headers.location]).toEqual([303, '/login']);
    }
  });

  it('goes back from a language switch with a language it does not offer, and changes nothing', async () => {
    const admin = stack.client();
    const language = pageLanguage((await admin.get('/login')).text);
    expect(language).toMatch(/^(ja|en)$/);
    const refused = await admin.post('/language', { lang: 'fr', returnTo: '/password-reset' });
    expect([refused.status, refused.headers.location]).toEqual([303, '/password-reset']);
    expect(pageLanguage((await admin.get('/login')).text)).toBe(language);

    const participant = stack.client();
    await participant.get('/consent/me');
    const back = await participant.post('/consent/language', { lang: 'fr', returnTo: '/consent/me' });
    expect([back.status, back.headers.location]).toEqual([303, '/consent/me']);
    expect(pageLanguage((await participant.get('/consent/me')).text)).toBe(language);
    // A language it offers still switches, and goes back to the page.
    const switched = await participant.post('/consent/language', { lang: language === 'en' ? 'ja' : 'en', returnTo: '/consent/me' });
    expect([switched.status, switched.headers.location]).toEqual([303, '/consent/me']);
    expect(pageLanguage((await participant.get('/consent/me')).text)).not.toBe(language);
  });

  it("re-renders the consent flow's sign-in with field errors and OMRON allowed as a form target", async () => {
    const group = await stack.group('Form errors');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    const answer = await client.post('/consent/sign-in', { loginId: '  GIVEN-01 ', password: '' });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('Please fill in this field.');
    expect(answer.text).toContain('value="  GIVEN-01 "');
    expect(formAction(answer.headers['content-security-policy'])).toBe(`'self' ${stack.sandbox.baseUrl}`);
  });

  it('sends a form posted to a flow at another stage to where the flow stands, before looking at the form', async () => {
    const group = await stack.group('Stages');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    for (const [path, form] of [
      ['/consent/password', { password: '' }],
      ['/consent/consent', { decision: 'maybe' }],
      ['/consent/consent', { decision: 'accept' }],
    ] as const) {
      const answer = await client.post(path, form);
      expect([path, answer.status, answer.headers.location]).toEqual([path, 303, '/consent/sign-in']);
    }
    const stranger = stack.client();
    await stranger.get('/consent/me');
    const lost = await stranger.post('/consent/consent', { decision: 'maybe' });
    expect([lost.status, lost.text.includes('This page has expired')]).toEqual([400, true]);
  });

  it('shows the consent screen again for a decision it does not know, and keeps the flow where it was', async () => {
    const group = await stack.group('Decision');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    await stack.follow(client, await stack.omron(client, 'undecided@sandbox.test'));
    await client.get('/consent/consent');
    const answer = await client.post('/consent/consent', { decision: 'maybe' });
    expect(answer.status).toBe(422);
    expect(formAction(answer.headers['content-security-policy'])).toBe(`'self' ${new URL(stack.partner.url).origin}`);
    const sub = await stack.subOf('undecided@sandbox.test');
    expect(await stack.sql(`select stage from consent_flow where omron_user_id = $1`, [sub])).toEqual([{ stage: 'authorised' }]);
  });

  it("re-renders the participant page's sign-in with field errors and OMRON allowed as a form target", async () => {
    const client = stack.client();
    await client.get('/consent/me');
    const answer = await client.post('/consent/me/sign-in', { loginId: '', password: 'x' });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('Please fill in this field.');
    expect(formAction(answer.headers['content-security-policy'])).toBe(`'self' ${stack.sandbox.baseUrl}`);
  });
});
