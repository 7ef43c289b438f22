import { MikroORM } from '@mikro-orm/postgresql';
import { Participant } from '@opendsp/participants';
import { OmronConnection } from '@opendsp/tokens';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

describe('the portal’s sync page', () => {
  let portal: SignedInPortal;
  let participant: Participant;

  beforeAll(async () => {
    portal = await startSignedInPortal('sync-admin', 'sync page password for tests');
    const em = portal.app.get(MikroORM).em.fork();
    participant = new Participant('omron_connect');
    participant.omronUserId = 'portal-sync-user';
    const connection = new OmronConnection({
      omronUserId: 'portal-sync-user',
      scopes: 'bloodpressure weight openid offline_access',
      redirectUri: 'http://127.0.0.1:3000/consent/callback',
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
      accessTokenLifetimeSeconds: 3600,
    });
    // No pull may reach OMRON from this test: the connection needs reconnecting, so pulls are skipped.
    connection.state = 'reconnect_needed';
    await em.persist([participant, connection]).flush();
    await portal.sql(
      `insert into sync_dead_letter (participant_id, kind, job_id, error, attempts, failed_at) values ($1, 'weight', 'job-1', 'UpstreamUnavailableError: 5 attempts failed', 7, now())`,
      [participant.id],
    );
  });
  afterAll(() => portal?.close());

  it('shows the overview and the pulls that gave up, with a retry button', async () => {
    const page = await portal.admin.get('/sync');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Measurement sync');
    expect(page.text).toContain(participant.ogscId);
    expect(page.text).toContain('UpstreamUnavailableError: 5 attempts failed');
    expect(page.text).toContain('Retry');
    expect((await portal.admin.get('/')).text).toContain('href="/sync"');
  });

  it('requests a sync now for a participant, records who asked, and refuses unknown participants', async () => {
    const unknown = await portal.admin.post('/sync/sync-now', { ogscId: 'OG-NOPE', kind: '' });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('No participant has this OGSC ID.');
    const badKind = await portal.admin.post('/sync/sync-now', { ogscId: participant.ogscId, kind: 'steps' });
    expect(badKind.status).toBe(422);

    const ok = await portal.admin.post('/sync/sync-now', { ogscId: participant.ogscId, kind: '' });
    expect([ok.status, ok.headers.location]).toEqual([303, '/sync?notice=sync_requested']);
    const ledger = (await portal.sql(`select kind, last_requested_at from sync_ledger where participant_id = $1 order by kind`, [
      participant.id,
    ])) as {
      kind: string;
      last_requested_at: Date | null;
    }[];
    expect(ledger.map((row) => row.kind)).toEqual(['blood_pressure', 'weight']);
    expect(ledger.every((row) => row.last_requested_at !== null)).toBe(true);
    const [event] = (await portal.sql(
      `select action, actor_login, target_id, detail from audit_event where action = 'sync.requested'`,
    )) as Record<string, unknown>[];
    expect(event).toEqual({
      action: 'sync.requested',
      actor_login: 'sync-admin',
      target_id: participant.ogscId,
      detail: { kinds: ['blood_pressure', 'weight'] },
    });
    expect((await portal.admin.get('/sync?notice=sync_requested')).text).toContain('The sync has been requested');
  });
});
