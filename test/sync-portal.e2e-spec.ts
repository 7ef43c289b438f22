import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import { Enrollment, Participant } from '@opendsp/participants';
import { OmronConnection } from '@opendsp/tokens';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'sync page password for tests';

/** The one /sync page (the data views') reading the sync module, and "sync now" on a participant's page. */
describe('the portal’s sync page', () => {
  let portal: SignedInPortal;
  let participant: Participant;
  let other: Participant;
  let groupAdmin: PortalTestClient;
  let viewer: PortalTestClient;

  beforeAll(async () => {
    portal = await startSignedInPortal('sync-admin', PASSWORD);
    const em = portal.app.get(MikroORM).em.fork();
    const mine = new ProgramGroup('Sync group');
    const theirs = new ProgramGroup('Other group');
    participant = new Participant('omron_connect');
    participant.omronUserId = 'portal-sync-user';
    other = new Participant('omron_connect');
    const connection = new OmronConnection({
      omronUserId: 'portal-sync-user',
      scopes: 'bloodpressure weight openid offline_access',
      redirectUri: 'http://127.0.0.1:3000/consent/callback',
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
      accessTokenLifetimeSeconds: 3600,
    });
    // No pull may reach OMRON from this test: the connection needs reconnecting, so pulls are skipped.
    connection.state = 'reconnect_needed';
    const hash = await PasswordHasher.hash(PASSWORD);
    const admin = Object.assign(new AdminAccount('sync-group-admin', 'Group admin', 'g@example.test', 'group-admin'), {
      passwordHash: hash,
    });
    const readOnly = Object.assign(new AdminAccount('sync-viewer', 'Viewer', 'v@example.test', 'viewer'), { passwordHash: hash });
    em.persist([mine, theirs, participant, other, connection, admin, readOnly]);
    em.persist([new Enrollment(participant, mine, 'consented'), new Enrollment(other, theirs, 'consented')]);
    await em.flush();
    em.persist(new GroupAdminMembership(admin, mine));
    await em.flush();
    await portal.sql(
      `insert into sync_dead_letter (participant_id, kind, job_id, error, attempts, failed_at)
       values ($1, 'weight', 'job-1', 'UpstreamUnavailableError: 5 attempts failed', 7, now()),
              ($2, 'weight', 'job-2', 'MeasurementFormatError: reading 9 has no unit', 7, now())`,
      [participant.id, other.id],
    );
    groupAdmin = new PortalTestClient(portal.server);
    expect((await groupAdmin.signIn('sync-group-admin', PASSWORD)).status).toBe(303);
    viewer = new PortalTestClient(portal.server);
    expect((await viewer.signIn('sync-viewer', PASSWORD)).status).toBe(303);
  });
  afterAll(() => portal?.close());

  it('is linked from the portal and shows the pulls that gave up, with a retry button', async () => {
    const page = await portal.admin.get('/sync');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Measurement sync');
    expect(page.text).toContain(participant.ogscId);
    expect(page.text).toContain('UpstreamUnavailableError: 5 attempts failed');
    expect(page.text).toContain('MeasurementFormatError: reading 9 has no unit');
    expect(page.text).toContain('Retry');
    expect((await portal.admin.get('/')).text).toContain('href="/sync"');
  });

  it('shows a group admin only their groups’ dead letters', async () => {
    const page = await groupAdmin.get('/sync');
    expect(page.status).toBe(200);
    expect(page.text).toContain('UpstreamUnavailableError: 5 attempts failed');
    expect(page.text).not.toContain('MeasurementFormatError');
    expect(page.text).not.toContain(other.ogscId);
  });

  it('lets a viewer look but not run a sync or a retry', async () => {
    const page = await viewer.get('/sync');
    expect(page.status).toBe(200);
    expect(page.text).toContain('UpstreamUnavailableError: 5 attempts failed');
    expect(page.text).not.toContain('/retry"');
    expect((await viewer.post(`/participants/${participant.ogscId}/sync`, {})).status).toBe(403);
    const [dead] = (await portal.sql(`select id::text as id from sync_dead_letter where job_id = 'job-1'`)) as { id: string }[];
    expect((await viewer.post(`/sync/dead-letters/${dead.id}/retry`, {})).status).toBe(403);
    expect(await portal.sql(`select count(*)::int as n from sync_ledger`)).toEqual([{ n: 0 }]);
  });

  it('requests a sync now for a participant, records who asked, and refuses unknown participants and kinds', async () => {
    expect((await portal.admin.post('/participants/OG-NOPE/sync', {})).status).toBe(404);
    expect((await portal.admin.post(`/participants/${participant.ogscId}/sync`, { kind: 'steps' })).status).toBe(400);

    const ok = await portal.admin.post(`/participants/${participant.ogscId}/sync`, { kind: '' });
    expect([ok.status, ok.headers.location]).toEqual([303, `/participants/${participant.ogscId}?notice=sync_queued#sync`]);
    const ledger = (await portal.sql(`select kind, last_requested_at from sync_ledger where participant_id = $1 order by kind`, [
      participant.id,
    ])) as { kind: string; last_requested_at: Date | null }[];
    expect(ledger.map((row) => row.kind)).toEqual(['blood_pressure', 'weight']);
    expect(ledger.every((row) => row.last_requested_at !== null)).toBe(true);
    const [event] = (await portal.sql(
      `select action, actor_login, target_id, detail from audit_event where action = 'sync.requested'`,
    )) as Record<string, unknown>[];
    expect(event).toEqual({ action: 'sync.requested', actor_login: 'sync-admin', target_id: participant.ogscId, detail: { kind: 'all' } });
    expect((await portal.admin.get(ok.headers.location)).text).toContain('A sync has been queued.');
  });

  it('shows a failing pull’s real reason and, apart from it, that the pull waits for OMRON', async () => {
    await portal.sql(
      `insert into sync_ledger (participant_id, kind, last_error, last_error_at, consecutive_failures, deferred_until, deferred_reason)
       values ($1, 'weight', 'UpstreamRejectedError: OMRON refused the weight request: HTTP 404 with a body that is not JSON', now(), 2,
               now() + interval '10 minutes', 'OMRON is failing (circuit breaker open)')
       on conflict (participant_id, kind) do update set last_error = excluded.last_error, last_error_at = excluded.last_error_at,
         consecutive_failures = excluded.consecutive_failures, deferred_until = excluded.deferred_until, deferred_reason = excluded.deferred_reason`,
      [participant.id],
    );
    for (const path of ['/sync', `/participants/${participant.ogscId}`]) {
      const page = await portal.admin.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('OMRON refused the weight request: HTTP 404 with a body that is not JSON');
      expect(page.text).toMatch(/<small class="deferral">Waiting until [^<]+: OMRON is failing \(circuit breaker open\)<\/small>/);
    }
  });
});
