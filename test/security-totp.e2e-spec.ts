import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher, totpCode } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';
import { itOnServer } from './support/test-database.js';

const PASSWORD = 'second factor passphrase';
/** A code valid now (one step ahead is within the ±1 step window) that no earlier test step has spent. */
const freshCode = (secret: string, stepsAhead = 1) => totpCode(secret, (Math.floor(Date.now() / 30_000) + stepsAhead) * 30_000);

describe('the TOTP second factor', () => {
  let portal: SignedInPortal;
  let orm: MikroORM;
  const sql = <R = Record<string, unknown>>(text: string, params: unknown[] = []) => portal.sql(text, params) as Promise<R[]>;

  beforeAll(async () => {
    portal = await startSignedInPortal('totp-boss', PASSWORD);
    orm = await MikroORM.init(dspOrmConfig(portal.database.settings));
  });
  afterAll(async () => {
    await orm?.close(true);
    await portal?.close();
  });

  async function signedInAdmin(loginId: string): Promise<PortalTestClient> {
    const account = Object.assign(new AdminAccount(loginId, loginId, `${loginId}@example.test`, 'viewer'), {
      passwordHash: await PasswordHasher.hash(PASSWORD),
    });
    await orm.em.fork().persist(account).flush();
    const client = new PortalTestClient(portal.server);
    expect((await client.signIn(loginId, PASSWORD)).status).toBe(303);
    return client;
  }
  async function enrol(client: PortalTestClient, extra: Record<string, string> = {}): Promise<{ status: number; secret: string }> {
    const page = await client.get('/account/totp');
    const secret = /name="secret" value="([A-Z2-7]{32})"/.exec(page.text)![1];
    const answer = await client.post('/account/totp', { secret, code: totpCode(secret), current: PASSWORD, ...extra });
    return { status: answer.status, secret };
  }
  const storedSecret = async (loginId: string) =>
    (await sql<{ s: string | null }>(`select totp_secret_ciphertext as s from admin_account where login_id = $1`, [loginId]))[0].s;

  it('needs the current password to turn on, and changes nothing without it', async () => {
    const client = await signedInAdmin('needs-password');
    expect((await enrol(client, { current: '' })).status).toBe(422);
    expect((await enrol(client, { current: 'not the password at all' })).status).toBe(422);
    expect(await storedSecret('needs-password')).toBeNull();
    expect((await enrol(client)).status).toBe(303);
    expect(await storedSecret('needs-password')).not.toBeNull();
  });

  it('needs the password and a code from the current authenticator to replace it', async () => {
    const client = await signedInAdmin('replaces');
    const { secret: first } = await enrol(client);
    const before = await storedSecret('replaces');
    const page = await client.get('/account/totp');
    expect(page.text).toContain('name="currentCode"');

    // Without a code of the current authenticator, or with a wrong one: refused, nothing changes.
    expect((await enrol(client)).status).toBe(422);
    expect((await enrol(client, { currentCode: '000000' })).status).toBe(422);
    expect(await storedSecret('replaces')).toBe(before);

    expect((await enrol(client, { currentCode: freshCode(first) })).status).toBe(303);
    expect(await storedSecret('replaces')).not.toBe(before);
  });

  it('lets a partner admin reset another admin’s TOTP, audited, and that admin’s sessions end', async () => {
    const client = await signedInAdmin('lost-phone');
    await enrol(client);
    const [{ id }] = await sql<{ id: string }>(`select id from admin_account where login_id = 'lost-phone'`);
    await portal.admin.get(`/admins/${id}`);
    const reset = await portal.admin.post(`/admins/${id}/totp/reset`);
    expect([reset.status, reset.headers.location]).toEqual([303, `/admins/${id}?notice=totp_reset`]);
    expect(await storedSecret('lost-phone')).toBeNull();
    expect(await sql(`select actor_login, target_id from audit_event where action = 'admin.totp_reset'`)).toEqual([
      { actor_login: 'totp-boss', target_id: id },
    ]);
    expect((await client.get('/groups')).status).toBe(303);
    // Not for oneself, and never for someone without admins.manage.
    const [{ id: self }] = await sql<{ id: string }>(`select id from admin_account where login_id = 'totp-boss'`);
    expect((await portal.admin.post(`/admins/${self}/totp/reset`)).status).toBe(422);
    const viewer = await signedInAdmin('just-viewing');
    await viewer.get('/account');
    expect((await viewer.post(`/admins/${id}/totp/reset`)).status).toBe(403);
  });

  itOnServer('accepts one code exactly once when two sign-ins submit it at the same moment', async () => {
    const owner = await signedInAdmin('racer');
    const { secret } = await enrol(owner);
    const halves = [new PortalTestClient(portal.server), new PortalTestClient(portal.server)];
    for (const half of halves) {
      expect((await half.signIn('racer', PASSWORD)).headers.location).toBe('/login/totp?next=%2F');
      await half.get('/login/totp');
    }
    const code = freshCode(secret);
    const answers = await Promise.all(halves.map((half) => half.post('/login/totp', { code })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 401]);
  });
});
