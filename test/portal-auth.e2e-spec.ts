import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { hash } from '@node-rs/argon2';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, ARGON2_PARAMETERS, issueSetupLink, PasswordHasher, totpCode } from '@opendsp/admin-auth';
import { loadDspConfig, type DspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { testDspEnv, TEST_PRODUCTION_SETTINGS } from './support/test-environment.js';

const PASSWORD = 'correct horse battery staple';

describe('admin portal sign-in, sessions and accounts', () => {
  let database: TestDatabase;
  let config: DspConfig;
  let app: NestExpressApplication;
  let server: Server;
  let orm: MikroORM;
  const client = () => new PortalTestClient(server);
  const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
    adminQuery<R>(database.settings.url, text, params);

  async function createAdmin(loginId: string, role: AdminAccount['role'] = 'partner-admin', password = PASSWORD): Promise<AdminAccount> {
    const em = orm.em.fork();
    const admin = new AdminAccount(loginId, `Admin ${loginId}`, `${loginId}@example.test`, role);
    admin.passwordHash = await PasswordHasher.hash(password);
    await em.persist(admin).flush();
    return admin;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, LOGIN_MAX_FAILURES: '3' }));
    app = await createDspApp(config);
    await app.init();
    server = app.getHttpServer();
    orm = await MikroORM.init(dspOrmConfig(database.settings));
  });
  afterAll(async () => {
    await orm?.close(true);
    await app?.close();
    await database?.drop();
  });

  describe('first-run setup', () => {
    it('creates the configured partner admin without a password on first start', async () => {
      const [admin] = await sql<{ login_id: string; role: string; password_hash: string | null; email: string }>(
        `select login_id, role, password_hash, email from admin_account where login_id = 'test-admin'`,
      );
      expect(admin).toEqual({ login_id: 'test-admin', role: 'partner-admin', password_hash: null, email: 'admin@example.test' });
      const [{ count }] = await sql<{ count: string }>(`select count(*) from audit_event where action = 'admin.bootstrapped'`);
      expect(count).toBe('1');
    });

    it('sets the password through the one-time setup link, which then stops working', async () => {
      const { link } = await issueSetupLink(orm.em, config);
      const path = new URL(link).pathname;
      const browser = client();
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('test-admin');

      // Too short, common, mismatched: the form comes back with the field's error, nothing is saved.
      for (const [password, confirmation, message] of [
        ['short', 'short', '12'],
        ['password1234', 'password1234', 'よく使われて'],
        [PASSWORD, `${PASSWORD}!`, '一致しません'],
      ]) {
        const refused = await browser.post(path, { password, confirmation });
        expect(refused.status).toBe(422);
        expect(refused.text).toContain(message);
      }
      expect((await sql(`select password_hash from admin_account where login_id = 'test-admin'`))[0].password_hash).toBeNull();

      const done = await browser.post(path, { password: PASSWORD, confirmation: PASSWORD });
      expect(done.status).toBe(303);
      expect(done.headers.location).toBe('/login?notice=password_set');
      const [{ password_hash }] = await sql<{ password_hash: string }>(
        `select password_hash from admin_account where login_id = 'test-admin'`,
      );
      expect(password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

      expect((await browser.get(path)).status).toBe(404);
      expect((await browser.post(path, { password: `${PASSWORD}2`, confirmation: `${PASSWORD}2` })).status).toBe(404);
      expect((await browser.signIn('test-admin', PASSWORD)).status).toBe(303);
    });

    it('refuses an unknown or malformed setup link with a friendly 404 page', async () => {
      const page = await client().get('/setup/not-a-real-token-at-all-0123456789');
      expect(page.status).toBe(404);
      expect(page.text).toContain('このリンクは使えません');
      expect((await client().get('/setup/x')).status).toBe(404);
    });
  });

  describe('sign-in', () => {
    it('gives the same answer for an unknown login ID and a wrong password', async () => {
      await createAdmin('same-answer');
      const unknown = await client().signIn('nobody-here', PASSWORD);
      const wrong = await client().signIn('same-answer', 'not the password at all');
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      const message = (text: string) => /<p class="error" role="alert">([^<]+)<\/p>/.exec(text)?.[1];
      expect(message(unknown.text)).toBeDefined();
      expect(message(unknown.text)).toBe(message(wrong.text));
    });

    it('re-renders the form with field errors for empty input', async () => {
      const browser = client();
      await browser.get('/login');
      const page = await browser.post('/login', { loginId: '', password: '' });
      expect(page.status).toBe(422);
      expect(page.text).toContain('id="loginId-error"');
      expect(page.text).toContain('id="password-error"');
    });

    it('locks a login ID after repeated failures, known or unknown, with the same answer', async () => {
      await createAdmin('lock-me');
      for (const loginId of ['lock-me', 'lock-ghost']) {
        for (let i = 0; i < 3; i++) expect((await client().signIn(loginId, 'wrong password here')).status).toBe(401);
      }
      // Now even the right password is refused, with the same page as any failure.
      const locked = await client().signIn('lock-me', PASSWORD);
      const ghost = await client().signIn('lock-ghost', PASSWORD);
      expect(locked.status).toBe(401);
      expect(ghost.status).toBe(401);
      expect(locked.text.replace(/name="_csrf" value="[^"]+"/g, '')).toBe(
        ghost.text.replace(/name="_csrf" value="[^"]+"/g, '').replace('lock-ghost', 'lock-me'),
      );
      const events = await sql<{ action: string; actor_login: string }>(
        `select action, actor_login from audit_event where action = 'auth.locked_out' order by id`,
      );
      expect(events).toEqual([
        { action: 'auth.locked_out', actor_login: 'lock-me' },
        { action: 'auth.locked_out', actor_login: 'lock-ghost' },
      ]);
      // Once the lockout has passed, the right password works again.
      await sql(`update login_throttle set locked_until = now() - interval '1 second', window_started_at = now() - interval '1 hour'`);
      expect((await client().signIn('lock-me', PASSWORD)).status).toBe(303);
    });

    it('issues a new session ID at sign-in and never keeps one the browser brought along', async () => {
      await createAdmin('rotate');
      const browser = client();
      // A session ID planted by someone else (session fixation) is dropped, never adopted.
      const planted = 'P'.repeat(43);
      browser.cookies.set('__Host-dsp-session', planted);
      await browser.signIn('rotate', PASSWORD);
      const first = browser.sessionCookie!;
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first).not.toBe(planted);
      expect((await browser.get('/')).status).toBe(200);

      // Signing in again (another browser) makes another session; signing out of it leaves the first alone.
      const other = client();
      await other.signIn('rotate', PASSWORD);
      expect(other.sessionCookie).not.toBe(first);
      await other.get('/');
      await other.post('/logout');
      expect((await browser.get('/')).status).toBe(200);
      const [{ count }] = await sql<{ count: string }>(
        `select count(*) from admin_session s join admin_account a on a.id = s.admin_id where a.login_id = 'rotate'`,
      );
      expect(count).toBe('1');
    });

    it('sets a __Host- session cookie: HttpOnly, Secure, SameSite=Lax, path /', async () => {
      await createAdmin('cookie-check');
      const browser = client();
      await browser.get('/login');
      const response = await browser.post('/login', { loginId: 'cookie-check', password: PASSWORD });
      const cookie = ([] as string[]).concat(response.headers['set-cookie']).find((line) => line.startsWith('__Host-dsp-session='))!;
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).not.toMatch(/Domain=/i);
    });

    it('rehashes a password made with other argon2 parameters at the next sign-in', async () => {
      const admin = await createAdmin('old-hash');
      const weak = await hash(PASSWORD, { ...ARGON2_PARAMETERS, memoryCost: 4096, timeCost: 3 });
      await sql(`update admin_account set password_hash = $1 where id = $2`, [weak, admin.id]);
      expect((await client().signIn('old-hash', PASSWORD)).status).toBe(303);
      const [{ password_hash }] = await sql<{ password_hash: string }>(`select password_hash from admin_account where id = $1`, [admin.id]);
      expect(password_hash).not.toBe(weak);
      expect(PasswordHasher.needsRehash(password_hash)).toBe(false);
    });

    it('returns to the page asked for before sign-in, but never to another site', async () => {
      await createAdmin('next-page');
      const browser = client();
      const redirect = await browser.get('/groups?status=all');
      expect(redirect.status).toBe(303);
      expect(redirect.headers.location).toBe('/login?next=%2Fgroups%3Fstatus%3Dall');
      await browser.get(redirect.headers.location);
      const done = await browser.post('/login?next=%2Fgroups%3Fstatus%3Dall', { loginId: 'next-page', password: PASSWORD });
      expect(done.headers.location).toBe('/groups?status=all');
      const evil = client();
      await evil.get('/login');
      const away = await evil.post('/login?next=//evil.example/x', { loginId: 'next-page', password: PASSWORD });
      expect(away.headers.location).toBe('/');
    });
  });

  describe('sessions', () => {
    it('end after the idle timeout and after the absolute timeout', async () => {
      await createAdmin('timeouts');
      const idle = client();
      await idle.signIn('timeouts', PASSWORD);
      expect((await idle.get('/')).status).toBe(200);
      await sql(
        `update admin_session set last_seen_at = now() - interval '31 minutes' where admin_id = (select id from admin_account where login_id = 'timeouts')`,
      );
      expect((await idle.get('/')).status).toBe(303);

      const absolute = client();
      await absolute.signIn('timeouts', PASSWORD);
      await sql(
        `update admin_session set expires_at = now() - interval '1 second' where admin_id = (select id from admin_account where login_id = 'timeouts')`,
      );
      expect((await absolute.get('/')).status).toBe(303);
      const [{ count }] = await sql<{ count: string }>(
        `select count(*) from admin_session where admin_id = (select id from admin_account where login_id = 'timeouts')`,
      );
      expect(count).toBe('0');
    });

    it('end at sign-out', async () => {
      await createAdmin('leaver');
      const browser = client();
      await browser.signIn('leaver', PASSWORD);
      const token = browser.sessionCookie!;
      await browser.get('/');
      const out = await browser.post('/logout');
      expect(out.status).toBe(303);
      const replay = new PortalTestClient(server);
      replay.cookies.set('__Host-dsp-session', token);
      expect((await replay.get('/')).status).toBe(303);
    });

    it('end when a partner admin disables the account', async () => {
      const target = await createAdmin('to-disable', 'viewer');
      await createAdmin('disabler');
      const victim = client();
      await victim.signIn('to-disable', PASSWORD);
      expect((await victim.get('/')).status).toBe(200);

      const boss = client();
      await boss.signIn('disabler', PASSWORD);
      await boss.get(`/admins/${target.id}`);
      expect((await boss.post(`/admins/${target.id}/disable`)).status).toBe(303);
      expect((await victim.get('/')).status).toBe(303);
      expect((await client().signIn('to-disable', PASSWORD)).status).toBe(401);
      const [{ count }] = await sql<{ count: string }>(`select count(*) from admin_session where admin_id = $1`, [target.id]);
      expect(count).toBe('0');
    });
  });

  // The session is read on every request in one statement and nothing of it is kept between requests (docs/sync.md,
  // "Portal requests' own cost"): a change in the database shows at the very next request.
  describe('sessions, read at every request', () => {
    it("refuse a disabled admin's session at the next request, even one the disabling left in place", async () => {
      const target = await createAdmin('disabled-in-place', 'viewer');
      const browser = client();
      await browser.signIn('disabled-in-place', PASSWORD);
      expect((await browser.get('/')).status).toBe(200);
      await sql(`update admin_account set disabled_at = now() where id = $1`, [target.id]);
      const refused = await browser.get('/');
      expect(refused.status).toBe(303);
      expect(refused.headers.location).toMatch(/^\/login/);
      const [{ count }] = await sql<{ count: string }>(`select count(*) from admin_session where admin_id = $1`, [target.id]);
      expect(count).toBe('0');
    });

    it('refuse a session deleted in the database at the next request', async () => {
      const target = await createAdmin('deleted-session');
      const browser = client();
      await browser.signIn('deleted-session', PASSWORD);
      expect((await browser.get('/')).status).toBe(200);
      await sql(`delete from admin_session where admin_id = $1`, [target.id]);
      expect((await browser.get('/')).status).toBe(303);
    });

    it('take a changed role and language at the next request', async () => {
      const target = await createAdmin('demoted');
      const browser = client();
      await browser.signIn('demoted', PASSWORD);
      expect((await browser.get('/admins')).status).toBe(200);
      await sql(`update admin_account set role = 'viewer', language = 'en' where id = $1`, [target.id]);
      expect((await browser.get('/admins')).status).toBe(403);
      expect((await browser.get('/')).text).toContain('<html lang="en"');
      await sql(`update admin_account set language = 'ja' where id = $1`, [target.id]);
      expect((await browser.get('/')).text).toContain('<html lang="ja"');
    });

    it('count on the dashboard only the admins who may sign in', async () => {
      await createAdmin('counting');
      const leaving = await createAdmin('counted-then-disabled', 'viewer');
      const browser = client();
      await browser.signIn('counting', PASSWORD);
      const shown = async () => Number(/有効な管理者 (\d+) 名/.exec((await browser.get('/')).text)?.[1]);
      const [{ count }] = await sql<{ count: string }>(`select count(*) from admin_account where disabled_at is null`);
      expect(await shown()).toBe(Number(count));
      await sql(`update admin_account set disabled_at = now() where id = $1`, [leaving.id]);
      expect(await shown()).toBe(Number(count) - 1);
    });

    it('write last-seen at most once a minute', async () => {
      const target = await createAdmin('last-seen');
      const browser = client();
      await browser.signIn('last-seen', PASSWORD);
      const lastSeen = async () =>
        (await sql<{ at: Date }>(`select last_seen_at as at from admin_session where admin_id = $1`, [target.id]))[0].at.getTime();
      await sql(`update admin_session set last_seen_at = now() - interval '2 minutes' where admin_id = $1`, [target.id]);
      const stale = await lastSeen();
      expect((await browser.get('/')).status).toBe(200);
      const touched = await lastSeen();
      expect(touched - stale).toBeGreaterThan(100_000);
      expect((await browser.get('/')).status).toBe(200);
      expect(await lastSeen()).toBe(touched);
    });
  });

  describe('password reset', () => {
    it('mails a one-time link to the admin and answers the same for unknown login IDs', async () => {
      const admin = await createAdmin('forgetful');
      const browser = client();
      await browser.get('/password-reset');
      const known = await browser.post('/password-reset', { loginId: 'forgetful' });
      const unknown = await browser.post('/password-reset', { loginId: 'no-such-admin' });
      expect(known.status).toBe(303);
      expect(unknown.headers.location).toBe(known.headers.location);

      const mails = await sql<{ to_address: string; text_body: string }>(`select to_address, text_body from mail_outbox`);
      expect(mails).toHaveLength(1);
      expect(mails[0].to_address).toBe('forgetful@example.test');
      const path = /http:\/\/127\.0\.0\.1:3000(\/password-reset\/[A-Za-z0-9_-]+)/.exec(mails[0].text_body)![1];

      const signedIn = client();
      await signedIn.signIn('forgetful', PASSWORD);
      const reset = client();
      expect((await reset.get(path)).status).toBe(200);
      expect((await reset.post(path, { password: 'a brand new passphrase', confirmation: 'a brand new passphrase' })).status).toBe(303);
      // Every session of the admin ended; the old password is gone; the link is used up.
      expect((await signedIn.get('/')).status).toBe(303);
      expect((await client().signIn('forgetful', PASSWORD)).status).toBe(401);
      expect((await client().signIn('forgetful', 'a brand new passphrase')).status).toBe(303);
      expect((await reset.get(path)).status).toBe(404);
      const actions = await sql<{ action: string }>(`select action from audit_event where actor_id = $1 order by id`, [admin.id]);
      expect(actions.map((row) => row.action)).toEqual(expect.arrayContaining(['auth.password_reset_requested', 'auth.password_reset']));
    });
  });

  describe('TOTP second factor', () => {
    it('is enrolled with a current code, then asked for at every sign-in, and a code works once', async () => {
      await createAdmin('two-step');
      const browser = client();
      await browser.signIn('two-step', PASSWORD);
      const setup = await browser.get('/account/totp');
      const secret = /name="secret" value="([A-Z2-7]{32})"/.exec(setup.text)![1];
      expect(setup.text).toContain('src="data:image/png;base64,');
      expect((await browser.post('/account/totp', { secret, code: '000000', current: PASSWORD })).status).toBe(422);
      const enrolCode = totpCode(secret);
      expect((await browser.post('/account/totp', { secret, code: enrolCode, current: PASSWORD })).status).toBe(303);

      const next = client();
      const afterPassword = await next.signIn('two-step', PASSWORD);
      expect(afterPassword.headers.location).toBe('/login/totp?next=%2F');
      // Half signed in: no portal page yet.
      expect((await next.get('/groups')).status).toBe(303);
      const halfway = next.sessionCookie;
      await next.get('/login/totp');
      // The code used at enrolment is spent already.
      expect((await next.post('/login/totp', { code: enrolCode })).status).toBe(401);
      const step = Math.floor(Date.now() / 30_000) + 1;
      const done = await next.post('/login/totp', { code: totpCode(secret, step * 30_000) });
      expect(done.status).toBe(303);
      // Completing the second factor rotates the session ID once more.
      expect(next.sessionCookie).not.toBe(halfway);
      expect((await next.get('/groups')).status).toBe(200);

      // The secret is stored encrypted, never in the clear.
      const [row] = await sql<{ totp_secret_ciphertext: string }>(
        `select totp_secret_ciphertext from admin_account where login_id = 'two-step'`,
      );
      expect(row.totp_secret_ciphertext).not.toContain(secret);
    });
  });

  describe('security headers', () => {
    it('sends a strict CSP, no framing, nosniff and no-store on pages', async () => {
      const page = await client().get('/login');
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['cache-control']).toBe('no-store');
      // A no-store page is never revalidated, so it carries no ETag (hashing the body would be wasted).
      expect(page.headers.etag).toBeUndefined();
      // HSTS only in production: a staging test server on plain http must not pin browsers to https.
      expect(page.headers['strict-transport-security']).toBeUndefined();
      expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    });

    it('adds HSTS in production', async () => {
      const production = await createDspApp(
        loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, ...TEST_PRODUCTION_SETTINGS })),
      );
      await production.init();
      try {
        const page = await new PortalTestClient(production.getHttpServer()).get('/login');
        expect(page.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      } finally {
        await production.close();
      }
    });
  });

  describe('audit log', () => {
    it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
      await expect(sql(`update audit_event set action = 'rewritten'`)).rejects.toThrow(/append-only/);
      await expect(sql(`delete from audit_event`)).rejects.toThrow(/append-only/);
      await expect(sql(`truncate audit_event`)).rejects.toThrow(/append-only/);
      const [{ count }] = await sql<{ count: string }>(`select count(*) from audit_event where action = 'rewritten'`);
      expect(count).toBe('0');
    });

    it('records sign-ins with who, when (UTC) and from which address', async () => {
      const [event] = await sql<{ actor_login: string; ip: string; occurred_at: Date }>(
        `select actor_login, ip, occurred_at from audit_event where action = 'auth.login' order by id limit 1`,
      );
      expect(event.actor_login).toBe('test-admin');
      expect(event.ip).toMatch(/127\.0\.0\.1/);
      expect(Math.abs(event.occurred_at.getTime() - Date.now())).toBeLessThan(120_000);
    });
  });
});
