import { SecretBox } from '@opendsp/crypto';
import { EnrollmentEvents, type ConsentAccepted } from '@opendsp/participants';
import { startConsentStack, type ConsentStack } from './support/consent-stack.js';
import { itOnServer } from './support/test-database.js';

describe('consent flows against the OMRON sandbox (HTTP)', () => {
  let stack: ConsentStack;
  const accepted: ConsentAccepted[] = [];

  beforeAll(async () => {
    stack = await startConsentStack();
    stack.platform.get(EnrollmentEvents).onConsentAccepted((event) => void accepted.push(event));
  }, 120_000);
  afterAll(() => stack?.close());

  /** Link → OMRON sign-in (approved) → callback; returns the client on the consent screen. */
  async function toConsentScreen(url: string, email: string) {
    const client = stack.client();
    await stack.openLink(client, url);
    const back = await stack.follow(client, await stack.omron(client, email));
    expect([back.status, back.headers.location]).toEqual([303, '/consent/consent']);
    return client;
  }

  async function consentAs(url: string, email: string): Promise<URL> {
    const client = await toConsentScreen(url, email);
    await client.get('/consent/consent');
    const done = await client.post('/consent/consent', { decision: 'accept' });
    expect(done.status).toBe(303);
    return new URL(done.headers.location!);
  }

  describe('an existing OMRON connect user', () => {
    it('accepts and lands on the registered redirect URL with an OGSC ID and the caller state; the data can flow', async () => {
      const group = await stack.group('Heart Health Study');
      const client = await toConsentScreen(stack.consentUrl(group, { state: 'partner-state-1' }), 'first@sandbox.test');
      const screen = await client.get('/consent/consent');
      expect(screen.status).toBe(200);
      expect(screen.text).toContain('<strong id="recipient-partner">Acme Health</strong>');
      expect(screen.text).toContain('<strong id="recipient-group">Heart Health Study</strong>');
      // East Asia (the tests' DSP_REGION): temperature and oxygen are offered in Europe only.
      expect([...screen.text.matchAll(/data-scope="(\w+)"/g)].map((match) => match[1])).toEqual(['bloodpressure', 'activity', 'weight']);

      // While the participant decides, the tokens wait on the flow, encrypted: no token appears in the row.
      const [flow] = await stack.sql<{ id: string; pending_tokens_ciphertext: string; row: string }>(
        `select id, pending_tokens_ciphertext, t::text as row from consent_flow t where omron_user_id = $1`,
        [await stack.subOf('first@sandbox.test')],
      );
      const held = JSON.parse(
        stack.platform
          .get(SecretBox)
          .decrypt(flow!.pending_tokens_ciphertext, { table: 'consent_flow', column: 'pending_tokens', rowId: flow!.id }),
      ) as { accessToken: string; refreshToken: string };
      expect(held.accessToken.length).toBeGreaterThan(20);
      expect(flow!.row).not.toContain(held.accessToken);
      expect(flow!.row).not.toContain(held.refreshToken);

      const done = await client.post('/consent/consent', { decision: 'accept' });
      expect(done.status).toBe(303);
      const landing = new URL(done.headers.location!);
      expect(`${landing.origin}${landing.pathname}`).toBe(stack.partner.url);
      expect(landing.searchParams.get('state')).toBe('partner-state-1');
      const ogscId = landing.searchParams.get('ogsc_id')!;
      expect(ogscId).toMatch(/^OG-[0-9A-HJKMNP-TV-Z]{24}$/);

      const sub = await stack.subOf('first@sandbox.test');
      const [row] = await stack.sql(
        `select p.enrollment_method, p.omron_user_id, e.status, e.consented_scopes, e.link_opened_at is not null as opened,
                c.state as connection_state, c.access_token_ciphertext, c.refresh_token_ciphertext
           from participant p join enrollment e on e.participant_id = p.id
           join omron_connection c on c.omron_user_id = p.omron_user_id where p.ogsc_id = $1`,
        [ogscId],
      );
      expect(row).toMatchObject({
        enrollment_method: 'omron_connect',
        omron_user_id: sub,
        status: 'consented',
        consented_scopes: 'bloodpressure activity weight',
        opened: true,
        connection_state: 'active',
      });
      // Tokens are stored encrypted (SecretBox), never as issued.
      expect(String(row!.access_token_ciphertext)).toMatch(/^v1\./);
      expect(String(row!.refresh_token_ciphertext)).toMatch(/^v1\./);
      // Sync hears about it (backfill), with the connection to use.
      expect(accepted.at(-1)).toMatchObject({
        ogscId,
        groupId: group.groupId,
        omronUserId: sub,
        scopes: expect.arrayContaining(['weight']),
      });
      // Nothing of the flow is left; the participant is signed in to their page.
      expect(await stack.sql(`select id from consent_flow`)).toEqual([]);
      const page = await client.get('/consent/me');
      expect(page.text).toContain(ogscId);
      expect(page.text).toContain('data-state="active"');
      const [audit] = await stack.sql(
        `select actor_login, detail from audit_event where action = 'enrollment.consented' and target_id = $1`,
        [ogscId],
      );
      expect(audit).toMatchObject({ actor_login: ogscId, detail: { groupId: group.groupId } });
    });

    it('gets the same OGSC ID when consenting again (same or another group), and two people never share one', async () => {
      const first = await stack.group('Sleep Study');
      const second = await stack.group('Walking Club');
      const once = (await consentAs(stack.consentUrl(first), 'again@sandbox.test')).searchParams.get('ogsc_id');
      const twice = (await consentAs(stack.consentUrl(first), 'again@sandbox.test')).searchParams.get('ogsc_id');
      const elsewhere = (await consentAs(stack.consentUrl(second), 'again@sandbox.test')).searchParams.get('ogsc_id');
      const someoneElse = (await consentAs(stack.consentUrl(first), 'other@sandbox.test')).searchParams.get('ogsc_id');
      expect([twice, elsewhere]).toEqual([once, once]);
      expect(someoneElse).not.toBe(once);
      const rows = await stack.sql(`select ogsc_id from participant where omron_user_id = $1`, [await stack.subOf('again@sandbox.test')]);
      expect(rows).toEqual([{ ogsc_id: once }]);
      const enrollments = await stack.sql(
        `select count(*)::int as n from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1`,
        [once],
      );
      expect(enrollments).toEqual([{ n: 2 }]);
    });

    itOnServer('makes one participant even when Accept is sent twice at once', async () => {
      const group = await stack.group('Double Click');
      const client = await toConsentScreen(stack.consentUrl(group), 'double@sandbox.test');
      await client.get('/consent/consent');
      const answers = await Promise.all([
        client.post('/consent/consent', { decision: 'accept' }),
        client.post('/consent/consent', { decision: 'accept' }),
      ]);
      const toPartner = answers.filter((answer) => answer.headers.location?.startsWith(stack.partner.url));
      expect(toPartner).toHaveLength(1);
      expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400].sort());
      expect(
        await stack.sql(`select count(*)::int as n from participant where omron_user_id = $1`, [await stack.subOf('double@sandbox.test')]),
      ).toEqual([{ n: 1 }]);
    });

    it('declines: back to the partner with error=access_denied and the state, nothing kept, the tokens revoked at OMRON', async () => {
      const group = await stack.group('Declined Study');
      const client = await toConsentScreen(stack.consentUrl(group, { state: 'xyz' }), 'decliner@sandbox.test');
      const answer = await client.post('/consent/consent', { decision: 'decline' });
      expect(answer.status).toBe(303);
      const landing = new URL(answer.headers.location!);
      expect(`${landing.origin}${landing.pathname}`).toBe(stack.partner.url);
      expect(Object.fromEntries(landing.searchParams)).toEqual({ error: 'access_denied', state: 'xyz' });
      const sub = await stack.subOf('decliner@sandbox.test');
      expect(await stack.sql(`select id from participant where omron_user_id = $1`, [sub])).toEqual([]);
      expect(await stack.sql(`select id from omron_connection where omron_user_id = $1`, [sub])).toEqual([]);
      expect(await stack.sql(`select id from enrollment where group_id = $1`, [group.id])).toEqual([]);
      expect(await stack.sql(`select id from consent_flow`)).toEqual([]);
      const grants = await stack.sandboxSql(
        `select g.revoked_at is not null as revoked from omron_sandbox.oauth_grant g join omron_sandbox.sandbox_user u on u.id = g.user_id where u.sub = $1`,
        [sub],
      );
      expect(grants).toEqual([{ revoked: true }]);
    });

    it('denied at OMRON: a friendly page, then the partner hears error=access_denied with its state', async () => {
      const group = await stack.group('Denied At Omron');
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group, { state: 'st-9' }));
      const callback = await stack.omron(client, 'denier@sandbox.test', 'deny');
      expect(callback.searchParams.get('error')).toBe('access_denied');
      const page = await stack.follow(client, callback);
      expect(page.status).toBe(200);
      const continueTo = /id="continue" href="([^"]+)"/
        .exec(page.text)![1]!
        .replace(/&amp;/g, '&')
        .replace(/&#x3D;/g, '=');
      expect(continueTo).toBe(`${stack.partner.url}?error=access_denied&state=st-9`);
      expect(page.text).toContain(`<meta http-equiv="refresh" content="5;url&#x3D;${stack.partner.url}?error&#x3D;access_denied`);
      expect(await stack.sql(`select id from participant where omron_user_id = $1`, [await stack.subOf('denier@sandbox.test')])).toEqual(
        [],
      );
    });

    it('counts every opening of a link per group, and marks an invited participant who signs in as link_opened', async () => {
      const group = await stack.group('Funnel');
      for (let i = 0; i < 3; i++) await stack.openLink(stack.client(), stack.consentUrl(group));
      const invited = await stack.preCreated(group, { loginId: 'FUNNEL-0001', password: 'Given-Password-0001' });
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group));
      await client.post('/consent/sign-in', { loginId: 'FUNNEL-0001', password: 'Given-Password-0001' });
      expect(await stack.sql(`select opens from consent_link_open where group_id = $1`, [group.id])).toEqual([{ opens: 4 }]);
      const [enrollment] = await stack.sql(
        `select status, link_opened_at is not null as opened from enrollment where participant_id = $1`,
        [invited.id],
      );
      expect(enrollment).toEqual({ status: 'link_opened', opened: true });
    });
  });

  describe('a pre-created account', () => {
    const given = 'Given-Password-7Qx9';
    const chosen = 'my own long passphrase 42';

    it('first sign-in: new password, consent, connect OMRON, and the OGSC ID issued at creation comes back', async () => {
      const group = await stack.group('Pilot Study');
      const participant = await stack.preCreated(group, { loginId: 'PILOT-0001', password: given });
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group, { state: 'p1' }));

      expect((await client.post('/consent/sign-in', { loginId: 'PILOT-0001', password: 'wrong password' })).status).toBe(401);
      const signedIn = await client.post('/consent/sign-in', { loginId: 'PILOT-0001', password: given });
      expect([signedIn.status, signedIn.headers.location]).toEqual([303, '/consent/password']);
      // The consent screen cannot be skipped to before the password is changed.
      expect((await client.get('/consent/consent')).headers.location).toBe('/consent/password');

      await client.get('/consent/password');
      const weak = await client.post('/consent/password', { password: 'password', confirmation: 'password' });
      expect(weak.status).toBe(422);
      const same = await client.post('/consent/password', { password: given, confirmation: given });
      expect([same.status, same.text.includes('other than the one you were given')]).toEqual([422, true]);
      const set = await client.post('/consent/password', { password: chosen, confirmation: chosen });
      expect([set.status, set.headers.location]).toEqual([303, '/consent/consent']);

      const screen = await client.get('/consent/consent');
      expect(screen.text).toContain('Pilot Study');
      expect(screen.text).toContain('connect your OMRON connect account');
      const agreed = await client.post('/consent/consent', { decision: 'accept' });
      expect([agreed.status, agreed.headers.location]).toEqual([303, '/consent/connect']);
      await client.get('/consent/connect');
      const done = await stack.follow(client, await stack.omron(client, 'pilot@sandbox.test'));
      expect(done.status).toBe(303);
      const landing = new URL(done.headers.location!);
      expect(Object.fromEntries(landing.searchParams)).toEqual({ ogsc_id: participant.ogscId, state: 'p1' });

      const [row] = await stack.sql(
        `select p.omron_user_id, p.must_change_password, p.credentials_expire_at, e.status, c.state
           from participant p join enrollment e on e.participant_id = p.id left join omron_connection c on c.omron_user_id = p.omron_user_id
          where p.id = $1`,
        [participant.id],
      );
      expect(row).toEqual({
        omron_user_id: await stack.subOf('pilot@sandbox.test'),
        must_change_password: false,
        credentials_expire_at: null,
        status: 'consented',
        state: 'active',
      });
      expect(accepted.at(-1)).toMatchObject({ ogscId: participant.ogscId, groupId: group.groupId });
      // The new password works from now on; the given one does not.
      const again = stack.client();
      await stack.openLink(again, stack.consentUrl(group));
      expect((await again.post('/consent/sign-in', { loginId: 'PILOT-0001', password: given })).status).toBe(401);
      expect((await again.post('/consent/sign-in', { loginId: 'PILOT-0001', password: chosen })).headers.location).toBe('/consent/consent');
    });

    it('says the credentials expired only to someone who knows the password', async () => {
      const group = await stack.group('Expired');
      await stack.preCreated(group, { loginId: 'OLD-0001', password: given, expiresAt: new Date(Date.now() - 60_000) });
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group));
      const wrong = await client.post('/consent/sign-in', { loginId: 'OLD-0001', password: 'not the password' });
      expect([wrong.status, wrong.text.includes('has expired'), wrong.text.includes('is wrong')]).toEqual([401, false, true]);
      const right = await client.post('/consent/sign-in', { loginId: 'OLD-0001', password: given });
      expect([right.status, right.text.includes('have expired')]).toEqual([401, true]);
    });

    it('locks the login ID after LOGIN_MAX_FAILURES failures, even for the right password, and audits it', async () => {
      const group = await stack.group('Throttled');
      await stack.preCreated(group, { loginId: 'LOCK-0001', password: given });
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group));
      for (let i = 0; i < stack.config.portal.loginMaxFailures; i++) {
        expect((await client.post('/consent/sign-in', { loginId: 'LOCK-0001', password: `guess ${i}` })).status).toBe(401);
      }
      expect((await client.post('/consent/sign-in', { loginId: 'LOCK-0001', password: given })).status).toBe(401);
      expect(
        await stack.sql(`select action from audit_event where action = 'participant.locked_out' and actor_login = 'LOCK-0001'`),
      ).toHaveLength(1);
      // An admin with the same login ID is not locked by a participant's failures.
      expect(await stack.sql(`select key from login_throttle where key = 'login:lock-0001'`)).toEqual([]);
    });

    it('links nothing when the OMRON account belongs to another participant', async () => {
      const group = await stack.group('Conflict');
      // Somebody else joined with this OMRON account before.
      const theirs = (await consentAs(stack.consentUrl(group), 'taken@sandbox.test')).searchParams.get('ogsc_id');
      const participant = await stack.preCreated(group, { loginId: 'CONFLICT-01', password: given, mustChangePassword: false });
      const client = stack.client();
      await stack.openLink(client, stack.consentUrl(group));
      await client.post('/consent/sign-in', { loginId: 'CONFLICT-01', password: given });
      await client.post('/consent/consent', { decision: 'accept' });
      const answer = await stack.follow(client, await stack.omron(client, 'taken@sandbox.test'));
      expect(answer.status).toBe(409);
      expect(answer.text).toContain('connected to another participant');
      const rows = await stack.sql(`select ogsc_id, omron_user_id from participant where id = $1 or ogsc_id = $2 order by ogsc_id = $2`, [
        participant.id,
        theirs,
      ]);
      expect(rows).toEqual([
        { ogsc_id: participant.ogscId, omron_user_id: null },
        { ogsc_id: theirs, omron_user_id: await stack.subOf('taken@sandbox.test') },
      ]);
      // The other participant's connection still works: only the new authorisation was revoked.
      const [connection] = await stack.sql(`select state from omron_connection where omron_user_id = $1`, [
        await stack.subOf('taken@sandbox.test'),
      ]);
      expect(connection).toEqual({ state: 'active' });
    });
  });
});
