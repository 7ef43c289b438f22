import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { SftpRetrievalKeysService } from '@opendsp/exports';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';
import { sshKeyPair } from './support/sftp-server.js';

const PASSWORD = 'portal password for retrieval tests';

interface AuditRow {
  target_id: string;
  actor_login: string;
  detail: Record<string, unknown>;
}

describe(`${SftpRetrievalKeysService.name} in the portal`, () => {
  let portal: SignedInPortal;
  let em: EntityManager;
  let study: ProgramGroup;
  let groupAdmin: PortalTestClient;
  let destinationId: string;
  const pair = sshKeyPair();
  const keyBody = pair.public.split(' ')[1];

  const audit = async (action: string): Promise<AuditRow[]> =>
    (await portal.sql(`select target_id, actor_login, detail from audit_event where action = $1 order by id`, [action])) as AuditRow[];
  const keys = async (): Promise<{ id: string; name: string; fingerprint: string; revoked_at: Date | null }[]> =>
    (await portal.sql(`select id, name, fingerprint, revoked_at from sftp_retrieval_key order by created_at`)) as {
      id: string;
      name: string;
      fingerprint: string;
      revoked_at: Date | null;
    }[];

  beforeAll(async () => {
    portal = await startSignedInPortal('retrieval-admin', PASSWORD, { PROCESS_ROLE: 'web', DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv' });
    em = portal.app.get(MikroORM).em.fork();
    study = new ProgramGroup('Study');
    const admin = new AdminAccount('group-admin-r', 'Group admin', 'gar@example.test', 'group-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    em.persist([study, admin, new GroupAdminMembership(admin, study)]);
    await em.flush();
    groupAdmin = new PortalTestClient(portal.server);
    expect((await groupAdmin.signIn('group-admin-r', PASSWORD)).status).toBe(303);
    await groupAdmin.get('/');
  }, 60_000);
  afterAll(() => portal?.close());

  it('creates a retrieval destination without a server or credentials, and names the user partners sign in with', async () => {
    const created = await portal.admin.post('/exports/sftp', {
      mode: 'retrieval',
      name: 'Acme retrieval',
      username: 'acme',
      kinds: ['blood_pressure'],
      groupIds: [study.groupId],
      schedule: '@hourly',
      enabled: 'on',
    });
    expect(created.status).toBe(303);
    destinationId = /^\/exports\/sftp\/([0-9a-f-]{36})\?notice=destination_created$/.exec(created.headers.location)![1];
    expect(
      await portal.sql(`select mode, host, username, password_ciphertext from sftp_destination where id = $1`, [destinationId]),
    ).toEqual([{ mode: 'retrieval', host: '', username: 'acme', password_ciphertext: null }]);
    expect(await audit('sftp_destination.created')).toEqual([
      expect.objectContaining({ target_id: destinationId, detail: expect.objectContaining({ mode: 'retrieval' }) }),
    ]);

    // A second retrieval destination may not take the same user name.
    const clash = await portal.admin.post('/exports/sftp', {
      mode: 'retrieval',
      name: 'Other',
      username: 'acme',
      kinds: ['weight'],
      groupIds: [study.groupId],
      schedule: '@daily',
    });
    expect(clash.status).toBe(422);
    expect(clash.text).toContain('Another retrieval destination has this user name.');

    const page = await portal.admin.get(`/exports/sftp/${destinationId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Partner keys');
    expect(page.text).toContain('No keys yet');
    // This process serves no SFTP (SFTP_SERVER_PORT unset), and the page says so; there is no connection to test.
    expect(page.text).toContain('SFTP_SERVER_PORT');
    expect(page.text).not.toContain(`/exports/sftp/${destinationId}/test`);
    expect((await portal.admin.post(`/exports/sftp/${destinationId}/test`)).status).toBe(404);
  });

  it('adds a partner’s public key, audited by ID and fingerprint, and refuses a private key, junk and a key registered already', async () => {
    const invalid: [Record<string, string>, string][] = [
      [{ name: 'Pasted the wrong file', publicKey: pair.private }, 'This is not an SSH public key'],
      [{ name: 'Junk', publicKey: 'ssh-ed25519 not-base64' }, 'This is not an SSH public key'],
      [{ name: '', publicKey: pair.public }, 'Please fill in this field.'],
    ];
    for (const [form, message] of invalid) {
      const response = await portal.admin.post(`/exports/sftp/${destinationId}/keys`, form);
      expect([form.name, response.status]).toEqual([form.name, 422]);
      expect(response.text).toContain(message);
      // What was pasted never comes back in the page.
      expect(response.text).not.toContain(pair.private.split('\n')[1]);
    }
    expect(await keys()).toEqual([]);

    const added = await portal.admin.post(`/exports/sftp/${destinationId}/keys`, {
      name: 'Acme ETL',
      publicKey: `${pair.public} etl@acme`,
    });
    expect(added.status).toBe(303);
    expect(added.headers.location).toBe(`/exports/sftp/${destinationId}?notice=retrieval_key_added#keys`);
    const [key] = await keys();
    expect(key).toMatchObject({ name: 'Acme ETL', fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/), revoked_at: null });
    const events = await audit('sftp_retrieval_key.added');
    expect(events).toEqual([
      {
        target_id: key.id,
        actor_login: 'retrieval-admin',
        detail: { destinationId, name: 'Acme ETL', fingerprint: key.fingerprint, keyType: 'ssh-ed25519' },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(keyBody);

    const again = await portal.admin.post(`/exports/sftp/${destinationId}/keys`, { name: 'Twice', publicKey: pair.public });
    expect(again.status).toBe(422);
    expect(again.text).toContain('This key is registered already');
    expect(await keys()).toHaveLength(1);

    const page = await portal.admin.get(`/exports/sftp/${destinationId}`);
    expect(page.text).toContain(key.fingerprint);
    expect(page.text).toContain(`/exports/sftp/${destinationId}/keys/${key.id}/revoke`);
  });

  it('lets only admins with sftp.manage add or revoke keys, and only on retrieval destinations', async () => {
    const [key] = await keys();
    expect((await groupAdmin.post(`/exports/sftp/${destinationId}/keys`, { name: 'Mine', publicKey: sshKeyPair().public })).status).toBe(
      403,
    );
    expect((await groupAdmin.post(`/exports/sftp/${destinationId}/keys/${key.id}/revoke`)).status).toBe(403);
    expect(await keys()).toEqual([key]);

    const push = await portal.admin.post('/exports/sftp', {
      mode: 'push',
      name: 'Push',
      host: 'sftp.example.com',
      port: '22',
      username: 'dsp',
      authMethod: 'password',
      password: 'secret',
      kinds: ['blood_pressure'],
      groupIds: [study.groupId],
      schedule: '@daily',
    });
    expect(push.status).toBe(303);
    const pushId = /\/exports\/sftp\/([0-9a-f-]{36})/.exec(push.headers.location)![1];
    expect((await portal.admin.post(`/exports/sftp/${pushId}/keys`, { name: 'Nope', publicKey: sshKeyPair().public })).status).toBe(404);
    expect((await portal.admin.post(`/exports/sftp/${pushId}/keys/${key.id}/revoke`)).status).toBe(404);
    expect((await portal.admin.post(`/exports/sftp/${destinationId}/keys/not-a-key/revoke`)).status).toBe(404);
    expect(await keys()).toEqual([key]);
  });

  it('revokes a key at once, audited, and shows it revoked', async () => {
    const [key] = await keys();
    const revoked = await portal.admin.post(`/exports/sftp/${destinationId}/keys/${key.id}/revoke`);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.location).toBe(`/exports/sftp/${destinationId}?notice=retrieval_key_revoked#keys`);
    expect((await keys())[0].revoked_at).toBeInstanceOf(Date);
    expect(await audit('sftp_retrieval_key.revoked')).toEqual([
      { target_id: key.id, actor_login: 'retrieval-admin', detail: { destinationId, name: 'Acme ETL', fingerprint: key.fingerprint } },
    ]);
    // Revoking again changes nothing and records nothing more.
    expect((await portal.admin.post(`/exports/sftp/${destinationId}/keys/${key.id}/revoke`)).status).toBe(303);
    expect(await audit('sftp_retrieval_key.revoked')).toHaveLength(1);
    const page = await portal.admin.get(`/exports/sftp/${destinationId}`);
    expect(page.text).toContain('revoked');
    expect(page.text).not.toContain(`/exports/sftp/${destinationId}/keys/${key.id}/revoke`);
    // The same key may be registered again once revoked.
    expect((await portal.admin.post(`/exports/sftp/${destinationId}/keys`, { name: 'Acme ETL 2', publicKey: pair.public })).status).toBe(
      303,
    );
  });
});
