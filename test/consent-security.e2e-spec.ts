import request from 'supertest';
import { startConsentStack, type ConsentStack } from './support/consent-stack.js';

/** Open-redirect payloads for `redirect_url`, next to the registered `registered` (an http://127.0.0.1 URL). */
function openRedirectPayloads(registered: string): string[] {
  const url = new URL(registered);
  const host = url.host;
  return [
    '//evil.example',
    '//evil.example/welcome',
    '///evil.example',
    'https://evil.example',
    'https://evil.example/welcome',
    'https:/\\evil.example',
    'https:\\\\evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '//%5cevil.example',
    'https://a@evil.example',
    `a@evil.example`,
    `${registered}@evil.example`,
    `http://${host}@evil.example/welcome`,
    `https://evil.example\\@${host}/welcome`,
    `${registered}\\@evil.example`,
    `https://evil.example%2F@${host}/welcome`,
    `http://${host}.evil.example/welcome`,
    `https://evil.example/${registered}`,
    `https://evil.example/?r=${registered}`,
    `${registered}?next=https://evil.example`,
    `${registered}#@evil.example`,
    `${registered}/../../evil`,
    `${registered}/%2e%2e/evil`,
    `${registered}%2F%2Fevil.example`,
    `${registered};evil.example`,
    `${registered}/`,
    `${registered} `,
    ` ${registered}`,
    `${registered}\t`,
    `${registered}\u0000`,
    `\u2028${registered}`,
    registered.toUpperCase(),
    registered.replace('http:', 'HTTP:'),
    registered.replace('/welcome', '/Welcome'),
    registered.replace('127.0.0.1', 'localhost'),
    registered.replace('127.0.0.1', '[::1]'),
    registered.replace('127.0.0.1', '2130706433'),
    registered.replace('127.0.0.1', '0x7f.0.0.1'),
    registered.replace('http:', ''),
    registered.replace('http://', 'http:'),
    registered.replace('http://', 'http:/'),
    registered.replace('http://', 'http:///'),
    registered.replace('http://', ''),
    '/welcome',
    encodeURIComponent(registered),
    encodeURIComponent('//evil.example'),
    'javascript:alert(document.domain)',
    'javascript://%0aalert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'https://evil。example',
  ];
}

describe('consent flow security', () => {
  let stack: ConsentStack;

  beforeAll(async () => {
    stack = await startConsentStack();
  }, 120_000);
  afterAll(() => stack?.close());

  const flows = async () => (await stack.sql<{ n: number }>(`select count(*)::int as n from consent_flow`))[0]!.n;

  it('refuses 50+ open-redirect payloads with an error page: no redirect, no flow, no cookie', async () => {
    const group = await stack.group('Redirect Safety');
    const payloads = openRedirectPayloads(stack.partner.url);
    expect(payloads.length).toBeGreaterThanOrEqual(50);
    const before = await flows();
    const outcomes: string[] = [];
    for (const payload of payloads) {
      const path = `/consent/start?group_id=${group.groupId}&redirect_url=${encodeURIComponent(payload)}`;
      const answer = await request(stack.platform.getHttpServer()).get(path);
      const cookies = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
      const ok =
        answer.status === 400 &&
        answer.headers.location === undefined &&
        !cookies.some((cookie) => cookie.includes('dsp-consent-flow')) &&
        answer.text.includes('id="consent-error"');
      outcomes.push(`${ok ? 'ok ' : 'BAD'} ${JSON.stringify(payload)} → ${answer.status} ${answer.headers.location ?? ''}`);
    }
    // Raw query strings: double encoding, and the parameter given twice.
    for (const raw of [
      `redirect_url=${encodeURIComponent(encodeURIComponent(stack.partner.url))}`,
      `redirect_url=%252F%252Fevil.example`,
      `redirect_url=${encodeURIComponent(stack.partner.url)}&redirect_url=${encodeURIComponent('https://evil.example')}`,
      `redirect_url[]=${encodeURIComponent(stack.partner.url)}`,
    ]) {
      const answer = await request(stack.platform.getHttpServer()).get(`/consent/start?group_id=${group.groupId}&${raw}`);
      outcomes.push(`${answer.status === 400 && !answer.headers.location ? 'ok ' : 'BAD'} ${raw} → ${answer.status}`);
    }
    expect(outcomes.filter((line) => line.startsWith('BAD'))).toEqual([]);
    expect(await flows()).toBe(before);
    // The registered URL itself is accepted.
    const good = await request(stack.platform.getHttpServer()).get(
      new URL(stack.consentUrl(group)).pathname + new URL(stack.consentUrl(group)).search,
    );
    expect([good.status, good.headers.location]).toEqual([303, '/consent/sign-in']);
  });

  it('refuses unknown and archived groups, a missing redirect URL and a malformed state, with a page that says so', async () => {
    const group = await stack.group('Checks');
    const archived = await stack.group('Archived');
    await stack.sql(`update program_group set archived_at = now() where id = $1`, [archived.id]);
    const server = stack.platform.getHttpServer();
    const cases: [string, string][] = [
      [`/consent/start?group_id=ZZZZZZZZZZZZ&redirect_url=${encodeURIComponent(stack.partner.url)}`, 'does not belong to any program'],
      [`/consent/start?group_id=../../etc&redirect_url=${encodeURIComponent(stack.partner.url)}`, 'does not belong to any program'],
      [new URL(stack.consentUrl(archived)).pathname + new URL(stack.consentUrl(archived)).search, 'no longer accepts participants'],
      [`/consent/start?group_id=${group.groupId}`, 'return address is missing'],
      [
        `/consent/start?group_id=${group.groupId}&redirect_url=${encodeURIComponent(stack.partner.url)}&state=${'x'.repeat(501)}`,
        'state parameter',
      ],
      [
        `/consent/start?group_id=${group.groupId}&redirect_url=${encodeURIComponent(stack.partner.url)}&state=%0d%0aSet-Cookie:x=1`,
        'state parameter',
      ],
    ];
    for (const [path, text] of cases) {
      const answer = await request(server).get(path);
      expect([path, answer.status, answer.headers.location, answer.text.includes(text)]).toEqual([path, 400, undefined, true]);
    }
  });

  it('refuses custom_params with keys other than display_back, back_url and back_url_params, or bad values', async () => {
    const group = await stack.group('Custom Params');
    const server = stack.platform.getHttpServer();
    const refused: [string, string][] = [
      ["display_back:1,back_url:'https://partner.example/app',redirect_url:'https://evil.example'", 'not redirect_url'],
      ['evil:1', 'not evil'],
      ["display_back:1,back_url:'https://partner.example/app',onload:'alert(1)'", 'not onload'],
      ['__proto__:(display_back:1)', 'not __proto__'],
      ['constructor:(prototype:(x:1))', 'not constructor'],
      ["display_back:1,back_url:'javascript:alert(1)'", 'back_url must be an absolute'],
      ["display_back:1,back_url:'//evil.example'", 'back_url must be an absolute'],
      ["display_back:1,back_url:'https:/\\\\evil.example'", 'back_url must be an absolute'],
      ["display_back:1,back_url:'https://user:pw@partner.example/'", 'back_url must be an absolute'],
      ['display_back:2', 'display_back must be 1 or 0'],
      ["display_back:1,back_url:'https://partner.example/',back_url_params:'a:(b:c)'", 'name:value pairs'],
      ["display_back:1,back_url:'https://partner.example/',back_url_params:'a:b,'", 'name:value pairs'],
      ["display_back:1,back_url:'https://partner.example", 'could not be read'],
      ['!(display_back,1)', 'could not be read'],
      ['<script>alert(1)</script>:1', 'could not be read'],
    ];
    for (const [customParams, text] of refused) {
      const answer = await request(server).get(
        new URL(stack.consentUrl(group, { customParams })).pathname + new URL(stack.consentUrl(group, { customParams })).search,
      );
      expect([customParams, answer.status, answer.headers.location, answer.text.includes(text)]).toEqual([
        customParams,
        400,
        undefined,
        true,
      ]);
      expect(answer.text).not.toContain('<script>alert');
    }
  });

  it("opens the DSP document's literal example (display_back:1 with an empty back_url): the header without a back icon", async () => {
    const group = await stack.group('Document Example');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group, { customParams: "display_back:1,back_url:'',back_url_params:''" }));
    const page = await client.get('/consent/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="back-header"');
    expect(page.text).not.toContain('id="back-link"');
  });

  it("refuses a back_url that is not https, or whose origin is neither a redirect URL's nor a back-link origin of the group", async () => {
    const group = await stack.group('Back Origins', ['https://partner.example/landing']);
    const server = stack.platform.getHttpServer();
    const open = (customParams: string) => {
      const url = new URL(stack.consentUrl(group, { customParams }));
      return request(server).get(url.pathname + url.search);
    };
    for (const [customParams, text] of [
      ["display_back:1,back_url:'http://partner.example/app'", 'must be an https://'],
      ["display_back:1,back_url:'https://evil.example/app'", 'own site (the origin'],
      ["display_back:1,back_url:'https://app.partner.example/'", 'own site (the origin'],
    ]) {
      const answer = await open(customParams);
      expect([customParams, answer.status, answer.headers.location, answer.text.includes(text)]).toEqual([
        customParams,
        400,
        undefined,
        true,
      ]);
    }
    expect((await open("display_back:1,back_url:'https://partner.example/app'")).status).toBe(303);
    // A per-group back-link origin opens the link too.
    await stack.sql(`update program_group set back_link_origins = '{https://app.partner.example}' where id = $1`, [group.id]);
    expect((await open("display_back:1,back_url:'https://app.partner.example/'")).status).toBe(303);
  });

  it('shows the back header with back_url and its parameters when display_back is 1, and none otherwise', async () => {
    const group = await stack.group('Back Header', ['https://partner.example/landing']);
    for (const [customParams, href] of [
      [
        "display_back:1,back_url:'https://partner.example/app',back_url_params:'param1:a,param2:b'",
        'https://partner.example/app?param1=a&amp;param2=b',
      ],
      [
        "display_back:1,back_url:'https://partner.example/app?x=1',back_url_params:(id:42,ok:!t)",
        'https://partner.example/app?x=1&amp;id=42&amp;ok=true',
      ],
      [`display_back:1,back_url:'${new URL('/home', stack.partner.url).toString()}'`, new URL('/home', stack.partner.url).toString()],
    ]) {
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group, { customParams }));
      const page = await client.get('/consent/sign-in');
      expect(/id="back-link" href="([^"]+)"/.exec(page.text)?.[1]?.replace(/&#x3D;/g, '=')).toBe(href);
    }
    for (const customParams of ['display_back:0', "display_back:0,back_url:'https://partner.example/'", '']) {
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group, { customParams }));
      expect((await client.get('/consent/sign-in')).text).not.toContain('id="back-header"');
    }
  });

  it('refuses a missing, mismatched, foreign or replayed state before any token request', async () => {
    const group = await stack.group('State Checks');
    const victim = stack.client();
    await stack.openLink(victim, stack.consentUrl(group));
    const tokenRequests = await stack.countTokenRequests();
    const callback = await stack.omron(victim, 'state@sandbox.test');
    const code = callback.searchParams.get('code')!;
    const state = callback.searchParams.get('state')!;

    const other = stack.client();
    await stack.openLink(other, stack.consentUrl(group));
    const otherState = new URL((await other.post('/consent/omron')).headers.location!).searchParams.get('state')!;

    const attempts: [string, Awaited<ReturnType<ConsentStack['follow']>>][] = [
      ['missing', await victim.get(`/consent/callback?code=${code}`)],
      ['empty', await victim.get(`/consent/callback?code=${code}&state=`)],
      ['mismatched', await victim.get(`/consent/callback?code=${code}&state=${state.slice(0, -2)}xx`)],
      ['another browser’s', await victim.get(`/consent/callback?code=${code}&state=${otherState}`)],
      ['twice', await victim.get(`/consent/callback?code=${code}&state=${state}&state=${state}`)],
      ['error, wrong state', await victim.get(`/consent/callback?error=access_denied&state=nope`)],
    ];
    for (const [what, answer] of attempts) expect([what, answer.status, answer.headers.location]).toEqual([what, 403, undefined]);
    // No cookie at all: nothing to match the state against.
    const stranger = await request(stack.platform.getHttpServer()).get(`/consent/callback?code=${code}&state=${state}`);
    expect([stranger.status, stranger.headers.location]).toEqual([400, undefined]);
    expect(await tokenRequests()).toBe(0);

    // The real answer works once…
    const real = await stack.follow(victim, callback);
    expect([real.status, real.headers.location]).toEqual([303, '/consent/consent']);
    expect(await tokenRequests()).toBe(1);
    // …and replaying it is refused without a second token request.
    const replay = await stack.follow(victim, callback);
    expect(replay.status === 403 || replay.headers.location === '/consent/consent').toBe(true);
    expect(await tokenRequests()).toBe(1);
    const replayFresh = stack.client();
    await stack.openLink(replayFresh, stack.consentUrl(group));
    expect((await stack.follow(replayFresh, callback)).status).toBe(403);
    expect(await tokenRequests()).toBe(1);
  });

  it('links nothing from an OGSC ID in a forged callback', async () => {
    const group = await stack.group('Forged Callback');
    const target = await stack.preCreated(group, { loginId: 'TARGET-0001', password: 'Given-Password-7Qx9', mustChangePassword: false });
    const attacker = stack.client();
    await stack.openLink(attacker, stack.consentUrl(group));
    const callback = await stack.omron(attacker, 'attacker@sandbox.test');
    const forged = new URL(callback);
    forged.searchParams.set('ogsc_id', target.ogscId);
    forged.searchParams.set('state', 'forged');
    expect((await stack.follow(attacker, forged)).status).toBe(403);
    expect((await request(stack.platform.getHttpServer()).get(`/consent/callback?ogsc_id=${target.ogscId}&code=x&state=y`)).status).toBe(
      400,
    );
    // Even with its own valid state, the OGSC ID in the URL is ignored: the attacker only ever joins as themself.
    forged.searchParams.set('state', callback.searchParams.get('state')!);
    expect((await stack.follow(attacker, forged)).headers.location).toBe('/consent/consent');
    const done = await attacker.post('/consent/consent', { decision: 'accept', ogsc_id: target.ogscId });
    const issued = new URL(done.headers.location!).searchParams.get('ogsc_id');
    expect(issued).not.toBe(target.ogscId);
    const [row] = await stack.sql(`select omron_user_id from participant where id = $1`, [target.id]);
    expect(row).toEqual({ omron_user_id: null });
    expect(await stack.sql(`select status from enrollment where participant_id = $1`, [target.id])).toEqual([{ status: 'invited' }]);
  });

  it('lets forms lead only to OMRON (sign-in page) or to the registered redirect URL (consent screen)', async () => {
    const group = await stack.group('CSP');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    const formAction = (policy: string | undefined) => /form-action ([^;]+)/.exec(policy ?? '')?.[1];
    expect(formAction((await client.get('/consent/sign-in')).headers['content-security-policy'])).toBe(`'self' ${stack.sandbox.baseUrl}`);
    await stack.follow(client, await stack.omron(client, 'csp@sandbox.test'));
    expect(formAction((await client.get('/consent/consent')).headers['content-security-policy'])).toBe(
      `'self' ${new URL(stack.partner.url).origin}`,
    );
    expect(formAction((await client.get('/consent/result')).headers['content-security-policy'])).toBe(`'self'`);
  });

  it('refuses decisions without the CSRF token, and changes nothing', async () => {
    const group = await stack.group('CSRF');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    await stack.follow(client, await stack.omron(client, 'csrf@sandbox.test'));
    await client.get('/consent/consent');
    const forged = await client.post('/consent/consent', { decision: 'accept' }, { csrf: false });
    expect([forged.status, forged.text.includes('This form has expired')]).toEqual([403, true]);
    const sub = await stack.subOf('csrf@sandbox.test');
    expect(await stack.sql(`select stage from consent_flow where omron_user_id = $1`, [sub])).toEqual([{ stage: 'authorised' }]);
    expect(await stack.sql(`select id from participant where omron_user_id = $1`, [sub])).toEqual([]);
  });
});

describe('consent flow with an identity token that does not verify, from outside the portal allowlist', () => {
  let stack: ConsentStack;

  beforeAll(async () => {
    // The tests connect from 127.0.0.1, which this allowlist leaves out.
    stack = await startConsentStack({
      // Signed by the sandbox's key and issued by its pool, but for an audience this platform does not accept.
      OMRON_ID_TOKEN_AUDIENCE: 'not-this-platform',
      DSP_ALLOWED_SOURCE_IPS: '203.0.113.0/24',
    });
  }, 120_000);
  afterAll(() => stack?.close());

  it('lets participants use the consent pages from any address, while the portal refuses them', async () => {
    const group = await stack.group('Anywhere');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    expect((await client.post('/consent/language', { lang: 'ja', returnTo: '/consent/sign-in' })).headers.location).toBe(
      '/consent/sign-in',
    );
    expect((await client.get('/consent/sign-in')).text).toContain('OMRON connect でサインイン');
    expect((await client.get('/consent/me')).status).toBe(200);
    expect((await client.get('/login')).status).toBe(403);
  });

  it('refuses the sign-in, keeps nothing and revokes what OMRON issued', async () => {
    const group = await stack.group('Wrong Audience');
    const client = stack.client();
    await stack.openLink(client, stack.consentUrl(group));
    const answer = await stack.follow(client, await stack.omron(client, 'issuer@sandbox.test'));
    expect([answer.status, answer.text.includes('could not be verified')]).toEqual([502, true]);
    const sub = await stack.subOf('issuer@sandbox.test');
    expect(await stack.sql(`select id from participant where omron_user_id = $1`, [sub])).toEqual([]);
    expect(await stack.sql(`select id from omron_connection`)).toEqual([]);
    expect(await stack.sql(`select id from consent_flow where omron_user_id is not null or oauth_state_hash is not null`)).toEqual([]);
    const grants = await stack.sandboxSql(
      `select g.revoked_at is not null as revoked from omron_sandbox.oauth_grant g join omron_sandbox.sandbox_user u on u.id = g.user_id where u.sub = $1`,
      [sub],
    );
    expect(grants).toEqual([{ revoked: true }]);
  });
});
