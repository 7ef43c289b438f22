import { AuditLog } from '@opendsp/audit';
import { SecretBox } from '@opendsp/crypto';
import {
  EnrollmentChangesPort,
  EnrollmentEvents,
  EnrollmentNotFoundError,
  ParticipantReadingsPort,
  WithdrawalService,
  type ConnectionRestored,
  type EnrollmentWithdrawn,
} from '@opendsp/participants';
import { OmronTokens } from '@opendsp/tokens';
import type { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { CONSENT_CLIENT_ID, CONSENT_CLIENT_SECRET, startConsentStack, type ConsentStack } from './support/consent-stack.js';

describe('participant page: status, readings, reconnect, withdrawal', () => {
  let stack: ConsentStack;
  const withdrawn: EnrollmentWithdrawn[] = [];
  const restored: ConnectionRestored[] = [];

  beforeAll(async () => {
    stack = await startConsentStack();
    const events = stack.platform.get(EnrollmentEvents);
    events.onWithdrawn((event) => void withdrawn.push(event));
    events.onConnectionRestored((event) => void restored.push(event));
  }, 120_000);
  afterAll(() => stack?.close());

  /** An OMRON user consents to `groups` one after the other; returns their signed-in client and OGSC ID. */
  async function participantOf(
    email: string,
    ...groupNames: string[]
  ): Promise<{ client: PortalTestClient; ogscId: string; participantId: string }> {
    let client!: PortalTestClient;
    for (const name of groupNames) {
      const group = await stack.group(name);
      client = stack.client();
      await stack.openLink(client, stack.consentUrl(group));
      await stack.follow(client, await stack.omron(client, email));
      await client.get('/consent/consent');
      expect((await client.post('/consent/consent', { decision: 'accept' })).status).toBe(303);
    }
    const [row] = await stack.sql<{ id: string; ogsc_id: string }>(`select id, ogsc_id from participant where omron_user_id = $1`, [
      await stack.subOf(email),
    ]);
    return { client, ogscId: row!.ogsc_id, participantId: row!.id };
  }

  async function addReadings(participantId: string): Promise<void> {
    await stack.sql(
      `insert into blood_pressure_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
         systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib)
       values ($1, 1, '2026-11-20T08:00:00Z', '2026-11-20T17:00:00', 32400, 'HEM-7600T', nextval('measurement_change_seq'), 128, 82, 70, false),
              ($1, 2, '2026-11-21T08:00:00Z', '2026-11-21T17:00:00', 32400, 'HEM-7600T', nextval('measurement_change_seq'), 0, 0, 0, true)`,
      [participantId],
    );
    await stack.sql(
      `insert into weight_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
         weight_kg, weight_original, weight_unit)
       values ($1, 3, '2026-11-22T08:00:00Z', '2026-11-22T17:00:00', 32400, 'HN-300T2', nextval('measurement_change_seq'), 71.6, 71.6, 'kg')`,
      [participantId],
    );
    await stack.sql(
      `insert into participant_device (participant_id, device_type, first_seen_at, last_seen_at) values ($1, 'HEM-7600T', now(), now())`,
      [participantId],
    );
  }

  const readingsOf = async (participantId: string) =>
    (
      await stack.sql<{ n: number }>(
        `select ((select count(*) from blood_pressure_reading where participant_id = $1) + (select count(*) from weight_reading where participant_id = $1)
           + (select count(*) from participant_device where participant_id = $1))::int as n`,
        [participantId],
      )
    )[0]!.n;

  async function grantsRevoked(email: string): Promise<boolean[]> {
    const rows = await stack.sandboxSql<{ revoked: boolean }>(
      `select g.revoked_at is not null as revoked from omron_sandbox.oauth_grant g join omron_sandbox.sandbox_user u on u.id = g.user_id
        where u.sub = $1 order by g.created_at`,
      [await stack.subOf(email)],
    );
    return rows.map((row) => row.revoked);
  }

  it('shows the connection, the last sync and the recent readings, in English and Japanese', async () => {
    const { client, ogscId, participantId } = await participantOf('reader@sandbox.test', 'Readings Group');
    let page = await client.get('/consent/me');
    expect(page.text).toContain(ogscId);
    expect(page.text).toContain('data-state="active"');
    expect(page.text).toContain('<span id="last-sync">not yet</span>');
    await addReadings(participantId);
    page = await client.get('/consent/me');
    expect(page.text).toContain('128/82 mmHg, pulse 70 bpm');
    expect(page.text).toContain('Possible irregular heartbeat');
    expect(page.text).toContain('71.6 kg');
    expect(page.text).toContain('2026-11-22 17:00');
    expect(page.text).not.toContain('<span id="last-sync">not yet</span>');
    await client.post('/consent/language', { lang: 'ja', returnTo: '/consent/me' });
    page = await client.get('/consent/me');
    expect(page.text).toContain('128/82 mmHg、脈拍 70 拍/分');
    expect(page.text).toContain('連携中');
  });

  it('withdraws: enrollment withdrawn, readings deleted, tokens revoked upstream and wiped, audited', async () => {
    const { client, ogscId, participantId } = await participantOf('leaver@sandbox.test', 'Leaving Group');
    await addReadings(participantId);
    const [{ id: enrollmentId }] = await stack.sql<{ id: string }>(`select id from enrollment where participant_id = $1`, [participantId]);
    const page = await client.get('/consent/me');
    expect(page.text).toContain(`/consent/me/withdraw/${enrollmentId}`);
    const confirm = await client.get(`/consent/me/withdraw/${enrollmentId}`);
    expect(confirm.text).toContain('the data shared so far is deleted');
    const done = await client.post(`/consent/me/withdraw/${enrollmentId}`);
    expect([done.status, done.headers.location]).toEqual([303, '/consent/me?notice=withdrawn']);

    const [enrollment] = await stack.sql(`select status, withdrawn_by, withdrawn_at is not null as dated from enrollment where id = $1`, [
      enrollmentId,
    ]);
    expect(enrollment).toEqual({ status: 'withdrawn', withdrawn_by: 'participant', dated: true });
    expect(await readingsOf(participantId)).toBe(0);
    const [connection] = await stack.sql(
      `select state, access_token_ciphertext, refresh_token_ciphertext from omron_connection where omron_user_id = $1`,
      [await stack.subOf('leaver@sandbox.test')],
    );
    expect(connection).toEqual({ state: 'withdrawn', access_token_ciphertext: null, refresh_token_ciphertext: null });
    expect(await grantsRevoked('leaver@sandbox.test')).toEqual([true]);
    const [audit] = await stack.sql(
      `select actor_login, actor_id, detail from audit_event where action = 'enrollment.withdrawn' and target_id = $1`,
      [ogscId],
    );
    expect(audit).toMatchObject({
      actor_login: ogscId,
      actor_id: null,
      detail: { by: 'participant', readingsDeleted: 3, tokensRevoked: true },
    });
    expect(withdrawn.at(-1)).toMatchObject({ ogscId, tokensRevoked: true, readingsDeleted: 3 });
    // The OGSC ID stays: consenting again brings the same one back, with a working connection.
    const again = await participantOf('leaver@sandbox.test', 'Coming Back');
    expect(again.ogscId).toBe(ogscId);
    expect((await again.client.get('/consent/me')).text).toContain('data-state="active"');
  });

  it('keeps data and connection while another group is still consented; the last withdrawal ends them', async () => {
    const { client, participantId } = await participantOf('two-groups@sandbox.test', 'Group One', 'Group Two');
    await addReadings(participantId);
    const enrollments = await stack.sql<{ id: string }>(`select id from enrollment where participant_id = $1 order by created_at`, [
      participantId,
    ]);
    expect(enrollments).toHaveLength(2);
    // Consenting to the second group replaced the first authorisation, which was revoked at OMRON then.
    expect(await grantsRevoked('two-groups@sandbox.test')).toEqual([true, false]);
    await client.post(`/consent/me/withdraw/${enrollments[0]!.id}`);
    expect(await readingsOf(participantId)).toBe(4);
    expect(await grantsRevoked('two-groups@sandbox.test')).toEqual([true, false]);
    expect((await client.get('/consent/me')).text).toContain('data-state="active"');
    await client.post(`/consent/me/withdraw/${enrollments[1]!.id}`);
    expect(await readingsOf(participantId)).toBe(0);
    expect(await grantsRevoked('two-groups@sandbox.test')).toEqual([true, true]);
  });

  it('lets a participant withdraw only their own enrollments', async () => {
    const mine = await participantOf('mine@sandbox.test', 'Mine');
    const theirs = await participantOf('theirs@sandbox.test', 'Theirs');
    const [{ id }] = await stack.sql<{ id: string }>(`select id from enrollment where participant_id = $1`, [theirs.participantId]);
    expect((await mine.client.get(`/consent/me/withdraw/${id}`)).status).toBe(404);
    expect((await mine.client.post(`/consent/me/withdraw/${id}`)).status).toBe(404);
    expect(await stack.sql(`select status from enrollment where id = $1`, [id])).toEqual([{ status: 'consented' }]);
  });

  it('offers the admin side the same withdrawal (actor: the admin); WITHDRAWAL_KEEPS_DATA keeps the readings', async () => {
    const { participantId, ogscId } = await participantOf('by-admin@sandbox.test', 'Admin Withdraws');
    await addReadings(participantId);
    const [{ id }] = await stack.sql<{ id: string }>(`select id from enrollment where participant_id = $1`, [participantId]);
    const keeping = new WithdrawalService(
      stack.em(),
      stack.platform.get(OmronTokens),
      stack.platform.get(AuditLog),
      { ...stack.config, withdrawal: { keepsData: true } },
      stack.platform.get(EnrollmentEvents),
      stack.platform.get(ParticipantReadingsPort),
      stack.platform.get(EnrollmentChangesPort),
    );
    const adminId = '00000000-0000-4000-8000-000000000001';
    await expect(keeping.withdraw(id, { kind: 'participant', participantId: adminId })).rejects.toThrow(EnrollmentNotFoundError);
    const outcome = await keeping.withdraw(id, { kind: 'admin', adminId, login: 'hanako', ip: '203.0.113.5' });
    expect(outcome).toEqual({ enrollmentId: id, alreadyWithdrawn: false, tokensRevoked: true, readingsDeleted: 0 });
    expect(await readingsOf(participantId)).toBe(4);
    expect(await grantsRevoked('by-admin@sandbox.test')).toEqual([true]);
    const [audit] = await stack.sql(
      `select actor_id, actor_login, ip, detail from audit_event where action = 'enrollment.withdrawn' and target_id = $1`,
      [ogscId],
    );
    expect(audit).toMatchObject({
      actor_id: adminId,
      actor_login: 'hanako',
      ip: '203.0.113.5',
      detail: { by: `admin:${adminId}`, dataKept: true },
    });
    expect(await stack.sql(`select withdrawn_by from enrollment where id = $1`, [id])).toEqual([{ withdrawn_by: `admin:${adminId}` }]);
    // Twice is harmless.
    expect((await keeping.withdraw(id, { kind: 'admin', adminId, login: 'hanako' })).alreadyWithdrawn).toBe(true);
  });

  it('reconnects a connection OMRON stopped accepting (invalid_grant → reconnect_needed → Reconnect → active)', async () => {
    const { client, participantId, ogscId } = await participantOf('reconnect@sandbox.test', 'Reconnect Group');
    const sub = await stack.subOf('reconnect@sandbox.test');
    const [connection] = await stack.sql<{ id: string; refresh_token_ciphertext: string }>(
      `select id, refresh_token_ciphertext from omron_connection where omron_user_id = $1`,
      [sub],
    );
    // The person revoked the app at OMRON; the next refresh gets invalid_grant.
    const refreshToken = stack.platform
      .get(SecretBox)
      .decrypt(connection!.refresh_token_ciphertext, { table: 'omron_connection', column: 'refresh_token', rowId: connection!.id });
    await fetch(`${stack.sandbox.baseUrl}/stg/connect/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CONSENT_CLIENT_ID, client_secret: CONSENT_CLIENT_SECRET, token: refreshToken }),
    });
    await stack.sql(`update omron_connection set access_token_expires_at = now() + interval '1 minute' where id = $1`, [connection!.id]);
    const tokens = stack.platform.get(OmronTokens);
    await expect(tokens.accessToken(connection!.id)).rejects.toMatchObject({ state: 'reconnect_needed' });

    const page = await client.get('/consent/me');
    expect(page.text).toContain('data-state="reconnect_needed"');
    expect(page.text).toContain('id="reconnect"');
    // Another OMRON account cannot take this participant's place.
    const wrong = await stack.follow(client, await stack.omron(client, 'someone-else@sandbox.test', 'approve', '/consent/me/reconnect'));
    expect(wrong.status).toBe(409);
    expect(await stack.sql(`select state from omron_connection where id = $1`, [connection!.id])).toEqual([{ state: 'reconnect_needed' }]);

    const back = await stack.follow(client, await stack.omron(client, 'reconnect@sandbox.test', 'approve', '/consent/me/reconnect'));
    expect([back.status, back.headers.location]).toEqual([303, '/consent/me?notice=reconnected']);
    expect(await stack.sql(`select state from omron_connection where id = $1`, [connection!.id])).toEqual([{ state: 'active' }]);
    const token = await tokens.accessToken(connection!.id);
    const measured = await fetch(`${stack.sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ since: '2020-01-01' }),
    });
    expect(measured.status).toBe(200);
    expect(restored.at(-1)).toMatchObject({ participantId, ogscId, connectionId: connection!.id });
    expect(await stack.sql(`select detail from audit_event where action = 'participant.reconnected' and target_id = $1`, [ogscId])).toEqual(
      [{ detail: { previousState: 'reconnect_needed' } }],
    );
    expect((await client.get('/consent/me?notice=reconnected')).text).toContain('connected again');
  });

  it('signs participants in to their page with OMRON connect or a login ID, and out again', async () => {
    await participantOf('returning@sandbox.test', 'Returning');
    const visitor = stack.client();
    const anonymous = await visitor.get('/consent/me');
    expect(anonymous.text).toContain('id="omron-sign-in"');
    expect((await visitor.post('/consent/me/reconnect')).headers.location).toBe('/consent/me');
    const signedIn = await stack.follow(
      visitor,
      await stack.omron(visitor, 'returning@sandbox.test', 'approve', '/consent/me/sign-in/omron'),
    );
    expect(signedIn.headers.location).toBe('/consent/me');
    expect((await visitor.get('/consent/me')).text).toContain('data-state="active"');
    // Signing in asked for the OMRON user ID only, and that authorisation was revoked at once.
    expect((await grantsRevoked('returning@sandbox.test')).at(-1)).toBe(true);
    const out = await visitor.post('/consent/me/sign-out');
    expect(out.headers.location).toBe('/consent/me?notice=signed_out');
    expect((await visitor.get('/consent/me')).text).toContain('id="omron-sign-in"');

    const stranger = stack.client();
    await stranger.get('/consent/me');
    const unknown = await stack.follow(
      stranger,
      await stack.omron(stranger, 'never-joined@sandbox.test', 'approve', '/consent/me/sign-in/omron'),
    );
    expect([unknown.status, unknown.text.includes('does not take part')]).toEqual([403, true]);

    const group = await stack.group('Login ID Page');
    await stack.preCreated(group, { loginId: 'PAGE-0001', password: 'Given-Password-7Qx9' });
    const preCreated = stack.client();
    await preCreated.get('/consent/me');
    const first = await preCreated.post('/consent/me/sign-in', { loginId: 'PAGE-0001', password: 'Given-Password-7Qx9' });
    expect([first.status, first.text.includes('for the first time with the link')]).toEqual([401, true]);
    await stack.sql(`update participant set must_change_password = false where login_id = 'PAGE-0001'`);
    const ok = await preCreated.post('/consent/me/sign-in', { loginId: 'PAGE-0001', password: 'Given-Password-7Qx9' });
    expect(ok.headers.location).toBe('/consent/me');
    const mine = await preCreated.get('/consent/me');
    expect(mine.text).toContain('data-state="none"');
    expect(mine.text).toContain('data-status="invited"');
  });
});
