import { createHash, randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import { ParticipantProvisioning } from '@opendsp/participants';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { ParticipantSignInService } from '../libs/consent/src/participant-sign-in.service.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'credentials admin passphrase';

describe('participant credentials belong to the participant', () => {
  let portal: SignedInPortal;
  let orm: MikroORM;
  let groupAdmin: PortalTestClient;
  let groupA: string;
  let groupB: string;
  const sql = <R = Record<string, unknown>>(text: string, params: unknown[] = []) => portal.sql(text, params) as Promise<R[]>;

  beforeAll(async () => {
    portal = await startSignedInPortal('partner-boss', PASSWORD);
    orm = await MikroORM.init(dspOrmConfig(portal.database.settings));
    const em = orm.em.fork();
    const a = new ProgramGroup('Clinic A');
    const b = new ProgramGroup('Clinic B');
    const admin = Object.assign(new AdminAccount('group-only', 'Group Only', 'group@example.test', 'group-admin'), {
      passwordHash: await PasswordHasher.hash(PASSWORD),
    });
    em.persist([a, b, admin, new GroupAdminMembership(admin, a)]);
    await em.flush();
    [groupA, groupB] = [a.groupId, b.groupId];
    groupAdmin = new PortalTestClient(portal.server);
    expect((await groupAdmin.signIn('group-only', PASSWORD)).status).toBe(303);
  });
  afterAll(async () => {
    await orm?.close(true);
    await portal?.close();
  });

  /** A pre-created participant of group A, and a signed-in participant-page session of theirs. */
  async function participantOfA(): Promise<{ ogscId: string; id: string; hash: string }> {
    const provisioned = await portal.app
      .get(ParticipantProvisioning)
      .provision(groupA, [{ line: 1, internalCustomerId: `C-${randomBytes(4).toString('hex')}` }], { login: 'test' }, { source: 'api' });
    if (!provisioned.ok) throw new Error('not provisioned');
    const [{ id, password_hash: hash }] = await sql<{ id: string; password_hash: string }>(
      `select id, password_hash from participant where ogsc_id = $1`,
      [provisioned.credentials[0].ogscId],
    );
    await sql(
      `insert into participant_session (token_hash, participant_id, created_at, last_seen_at, expires_at) values ($1, $2, now(), now(), now() + interval '1 hour')`,
      [createHash('sha256').update(randomBytes(16)).digest('hex'), id],
    );
    return { ogscId: provisioned.credentials[0].ogscId, id, hash };
  }
  const sessionsOf = async (id: string) =>
    Number((await sql<{ n: string }>(`select count(*) as n from participant_session where participant_id = $1`, [id]))[0].n);
  const passwordHashOf = async (id: string) =>
    (await sql<{ password_hash: string }>(`select password_hash from participant where id = $1`, [id]))[0].password_hash;

  it('refuses a group admin the reset of someone also enrolled in another group, changing nothing', async () => {
    const person = await participantOfA();
    await sql(
      `insert into enrollment (id, participant_id, group_id, status, created_at, updated_at)
       select gen_random_uuid(), $1, g.id, 'consented', now(), now() from program_group g where g.group_id = $2`,
      [person.id, groupB],
    );
    await groupAdmin.get(`/groups/${groupA}/participants/${person.ogscId}`);
    const refused = await groupAdmin.post(`/groups/${groupA}/participants/${person.ogscId}/credentials`);
    expect(refused.status).toBe(403);
    expect(await passwordHashOf(person.id)).toBe(person.hash);
    expect(await sessionsOf(person.id)).toBe(1);
    expect(
      await sql(`select 1 from audit_event where action = 'participant.credentials_reset' and target_id = $1`, [person.ogscId]),
    ).toEqual([]);

    // A partner admin may, and the participant's sessions end with the old password.
    await portal.admin.get(`/groups/${groupA}/participants/${person.ogscId}`);
    const done = await portal.admin.post(`/groups/${groupA}/participants/${person.ogscId}/credentials`);
    expect(done.status).toBe(303);
    expect(await passwordHashOf(person.id)).not.toBe(person.hash);
    expect(await sessionsOf(person.id)).toBe(0);
  });

  it('lets a group admin reset someone enrolled only in their group, ending the sessions', async () => {
    const person = await participantOfA();
    await groupAdmin.get(`/groups/${groupA}/participants/${person.ogscId}`);
    expect((await groupAdmin.post(`/groups/${groupA}/participants/${person.ogscId}/credentials`)).status).toBe(303);
    expect(await passwordHashOf(person.id)).not.toBe(person.hash);
    expect(await sessionsOf(person.id)).toBe(0);
  });

  it("ends the participant's sessions when they change their password", async () => {
    const person = await participantOfA();
    const signIns = portal.app.get(ParticipantSignInService, { strict: false });
    const outcome = await signIns.setPassword(person.id, 'a brand new participant passphrase', 'a brand new participant passphrase', null);
    expect(outcome).toEqual({ ok: true });
    expect(await sessionsOf(person.id)).toBe(0);
  });
});
