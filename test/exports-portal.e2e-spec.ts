import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { SecretBox } from '@opendsp/crypto';
import { SftpDeliveryService } from '@opendsp/exports';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { addParticipant, insertReadings, series } from './support/readings.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';
import { startSftpServer, type TestSftpServer } from './support/sftp-server.js';
import { unzip } from './support/unzip.js';

const PASSWORD = 'portal password for export tests';
const CANARY = `CANARY${Date.now()}`;
const SFTP_PASSWORD = `${CANARY}-sftp-password`;

type Row = Record<string, string>;

/** A download through the portal, with the body as bytes whatever its type. */
async function download(
  portal: SignedInPortal,
  client: PortalTestClient,
  form: Record<string, string | string[]>,
): Promise<request.Response> {
  return request(portal.server)
    .post('/exports/download')
    .set('Cookie', [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    .type('form')
    .send({ _csrf: client.csrfToken, ...form })
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

describe('exports in the portal', () => {
  let portal: SignedInPortal;
  let em: EntityManager;
  let server: TestSftpServer;
  let mine: ProgramGroup;
  let theirs: ProgramGroup;
  let participant: Participant;
  let groupAdmin: PortalTestClient;

  const audit = async (action: string): Promise<{ target_id: string; detail: Record<string, unknown> }[]> =>
    (await portal.sql(`select target_id, detail from audit_event where action = $1 order by id`, [action])) as {
      target_id: string;
      detail: Record<string, unknown>;
    }[];

  beforeAll(async () => {
    [portal, server] = await Promise.all([
      startSignedInPortal('export-admin', PASSWORD, {
        PROCESS_ROLE: 'web',
        DSP_DATA_TRANSFER_METHODS: 'api,sftp,csv',
        EXPORT_PARTNER_ID: 'acme',
        // The test SFTP server listens on loopback, which destinations may only use when allowed.
        EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: 'true',
      }),
      startSftpServer({ username: 'dsp', password: SFTP_PASSWORD }),
    ]);
    mkdirSync(join(server.root, 'inbox'));
    em = portal.app.get(MikroORM).em.fork();
    mine = new ProgramGroup('My study');
    theirs = new ProgramGroup('Their study');
    const admin = new AdminAccount('group-admin-1', 'Group admin', 'ga@example.test', 'group-admin');
    admin.passwordHash = await PasswordHasher.hash(PASSWORD);
    em.persist([mine, theirs, admin, new GroupAdminMembership(admin, mine)]);
    await em.flush();
    participant = await addParticipant(em, mine, { internalCustomerId: '患者-001' });
    await insertReadings(em, 'blood_pressure', participant, series(30, { start: new Date('2026-11-20T00:00:00Z'), stepMs: 3_600_000 }));
    await insertReadings(em, 'weight', participant, series(2, { firstId: 500, start: new Date('2026-11-21T00:00:00Z') }));
    const other = await addParticipant(em, theirs);
    await insertReadings(em, 'blood_pressure', other, series(3));

    groupAdmin = new PortalTestClient(portal.server);
    expect((await groupAdmin.signIn('group-admin-1', PASSWORD)).status).toBe(303);
    await groupAdmin.get('/');
  }, 60_000);
  afterAll(async () => {
    await portal?.close();
    await server?.close();
  });

  it('downloads one kind as CSV with a BOM, audited, with times in the environment’s zone', async () => {
    const page = await portal.admin.get('/exports');
    expect(page.status).toBe(200);
    expect(page.text).toContain(mine.groupId);
    expect(page.text).toContain(theirs.groupId);

    const response = await download(portal, portal.admin, {
      groupId: mine.groupId,
      kinds: 'blood_pressure',
      from: '2026-11-20',
      to: '2026-11-20',
      bom: 'on',
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${mine.groupId}_20261120-20261120_blood_pressure.csv"`);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.body as Buffer;
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(body, { columns: true, bom: true }) as Row[];
    // 2026-11-20 in Tokyo is 2026-11-19T15:00Z to 2026-11-20T15:00Z: the first 15 hourly readings.
    expect(rows).toHaveLength(15);
    expect(rows[0]).toMatchObject({
      internal_customer_id: '患者-001',
      measured_at: '2026-11-20T09:00:00',
      measured_at_utc: '2026-11-20T00:00:00Z',
    });
    expect(await audit('export.downloaded')).toEqual([
      {
        target_id: mine.groupId,
        detail: {
          kinds: ['blood_pressure'],
          participants: 0,
          from: '2026-11-20',
          to: '2026-11-20',
          bom: true,
          fileName: expect.stringContaining('.csv'),
        },
      },
    ]);
  });

  it('downloads several kinds as a zip', async () => {
    const response = await download(portal, portal.admin, {
      groupId: mine.groupId,
      kinds: ['weight', 'blood_pressure'],
      participants: participant.ogscId,
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/zip');
    const files = unzip(response.body as Buffer);
    expect([...files.keys()]).toEqual(['blood_pressure.csv', 'weight.csv']);
    expect(parse(files.get('blood_pressure.csv')!, { columns: true })).toHaveLength(30);
    expect(parse(files.get('weight.csv')!, { columns: true })).toHaveLength(2);
  });

  it('answers bad input with the form and its errors (422), and neither downloads nor audits anything', async () => {
    const before = (await audit('export.downloaded')).length;
    const cases: [Record<string, string | string[]>, string][] = [
      [{}, 'Please choose one of your groups.'],
      [{ groupId: mine.groupId }, 'Please choose at least one kind.'],
      [{ groupId: mine.groupId, kinds: 'blood_pressure', participants: `${participant.ogscId}\nOG-UNKNOWN\nnobody-7` }, 'nobody-7'],
      [{ groupId: mine.groupId, kinds: 'blood_pressure', from: '2026-02-30' }, 'Please enter a date (YYYY-MM-DD).'],
      [
        { groupId: mine.groupId, kinds: 'blood_pressure', from: '2026-11-21', to: '2026-11-20' },
        'The last day must not be before the first day.',
      ],
      [{ groupId: mine.groupId, kinds: 'heartbeat' }, 'This value is not valid.'],
      [{ groupId: 'NOTAGROUP123', kinds: 'blood_pressure' }, 'Please choose one of your groups.'],
    ];
    for (const [form, message] of cases) {
      const response = await portal.admin.post('/exports/download', form);
      expect([form, response.status, response.headers['content-type']]).toEqual([form, 422, expect.stringContaining('text/html')]);
      expect(response.text).toContain(message);
    }
    expect((await audit('export.downloaded')).length).toBe(before);
  });

  it('lets a group admin download only their own groups', async () => {
    const page = await groupAdmin.get('/exports');
    expect(page.text).toContain(mine.groupId);
    expect(page.text).not.toContain(theirs.groupId);
    const refused = await groupAdmin.post('/exports/download', { groupId: theirs.groupId, kinds: 'blood_pressure' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Please choose one of your groups.');
    const allowed = await download(portal, groupAdmin, { groupId: mine.groupId, kinds: 'blood_pressure' });
    expect(allowed.status).toBe(200);
    expect(parse(allowed.body as Buffer, { columns: true })).toHaveLength(30);
    expect((await audit('export.downloaded')).map((event) => event.target_id)).not.toContain(theirs.groupId);
    expect((await groupAdmin.get('/exports/sftp')).status).toBe(403);
  });

  it('keeps SFTP credentials encrypted, tests the connection, delivers on request and shows the history', async () => {
    const valid: Record<string, string | string[]> = {
      name: 'Partner SFTP',
      host: '127.0.0.1',
      port: String(server.port),
      username: 'dsp',
      authMethod: 'password',
      password: SFTP_PASSWORD,
      hostKeyFingerprint: server.fingerprint.slice('SHA256:'.length),
      remoteBaseDir: 'inbox',
      kinds: ['blood_pressure', 'weight'],
      groupIds: [mine.groupId],
      schedule: '0 3 * * *',
      enabled: 'on',
    };
    const invalid: [Record<string, string | string[]>, string][] = [
      [{ schedule: '* * *' }, 'This is not a five-field cron schedule.'],
      [{ hostKeyFingerprint: 'MD5:aa:bb' }, 'This is not a SHA-256 host key fingerprint'],
      [{ port: '70000' }, 'Please enter a port number (1–65535).'],
      [{ remoteBaseDir: '../etc' }, 'A folder path without'],
      [{ password: '' }, 'Please enter the password.'],
      [{ kinds: [] }, 'Please choose at least one kind.'],
      [{ authMethod: 'private_key', privateKey: 'not a key' }, 'This private key cannot be read'],
    ];
    for (const [change, message] of invalid) {
      const response = await portal.admin.post('/exports/sftp', { ...valid, ...change });
      expect([change, response.status]).toEqual([change, 422]);
      expect(response.text).toContain(message);
      // What was typed as a secret never comes back in the page.
      expect(response.text).not.toContain(CANARY);
    }
    expect(await portal.sql(`select id from sftp_destination`)).toEqual([]);

    const created = await portal.admin.post('/exports/sftp', valid);
    expect(created.status).toBe(303);
    const id = /^\/exports\/sftp\/([0-9a-f-]{36})\?notice=destination_created$/.exec(created.headers.location)![1];
    const [row] = (await portal.sql(`select password_ciphertext, host_key_fingerprint, next_run_at from sftp_destination where id = $1`, [
      id,
    ])) as {
      password_ciphertext: string;
      host_key_fingerprint: string;
      next_run_at: Date;
    }[];
    expect(row.password_ciphertext).not.toContain(CANARY);
    expect(portal.app.get(SecretBox).decrypt(row.password_ciphertext, { table: 'sftp_destination', column: 'password', rowId: id })).toBe(
      SFTP_PASSWORD,
    );
    expect(row.host_key_fingerprint).toBe(server.fingerprint);
    expect(row.next_run_at.toISOString()).toMatch(/T18:00:00\.000Z$/);
    // Neither the destination's row nor the audit log holds the password in plaintext.
    const dump = (await portal.sql(
      `select (select string_agg(t::text, ' ') from sftp_destination t) || (select string_agg(t::text, ' ') from audit_event t) as text`,
    )) as { text: string }[];
    expect(dump[0].text).toContain(id);
    expect(dump[0].text).not.toContain(CANARY);
    const created_events = await audit('sftp_destination.created');
    expect(created_events).toEqual([expect.objectContaining({ target_id: id })]);
    expect(JSON.stringify(created_events)).not.toContain(CANARY);

    const editPage = await portal.admin.get(`/exports/sftp/${id}/edit`);
    expect(editPage.status).toBe(200);
    expect(editPage.text).not.toContain(CANARY);
    expect(editPage.text).toContain('Stored encrypted. Leave empty to keep it');
    // Saved with the password left empty: the stored one stays.
    expect((await portal.admin.post(`/exports/sftp/${id}`, { ...valid, password: '', name: 'Renamed SFTP' })).status).toBe(303);
    const [after] = (await portal.sql(`select name, password_ciphertext from sftp_destination where id = $1`, [id])) as {
      name: string;
      password_ciphertext: string;
    }[];
    expect(after).toEqual({ name: 'Renamed SFTP', password_ciphertext: row.password_ciphertext });
    expect(await audit('sftp_destination.updated')).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({ secretsChanged: [], after: expect.objectContaining({ name: 'Renamed SFTP' }) }),
      }),
    ]);

    const tested = await portal.admin.post(`/exports/sftp/${id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.text).toContain('The connection works');
    expect(tested.text).toContain(server.fingerprint);

    expect((await portal.admin.post(`/exports/sftp/${id}/deliver`)).headers.location).toBe(`/exports/sftp/${id}?notice=delivery_requested`);
    expect(
      await portal.sql(
        `select run_requested_at is not null as requested, next_run_at <= now() as due from sftp_destination where id = $1`,
        [id],
      ),
    ).toEqual([{ requested: true, due: true }]);
    expect(await portal.app.get(SftpDeliveryService).runDue()).toEqual([
      expect.objectContaining({ status: 'succeeded', files: 2, rows: 32 }),
    ]);
    const details = await portal.admin.get(`/exports/sftp/${id}`);
    expect(details.text).toContain('deliver now');
    expect(details.text).toContain('delivered');
    const deliveryId = /\/deliveries\/([0-9a-f-]{36})/.exec(details.text)![1];
    const delivery = await portal.admin.get(`/exports/sftp/${id}/deliveries/${deliveryId}`);
    expect(delivery.status).toBe(200);
    expect(delivery.text).toContain(`data/acme/blood_pressure/${mine.groupId}/`);
    expect(delivery.text).toContain('data/acme/manifests/');
    expect((await portal.admin.get(`/exports/sftp/${id}/deliveries/00000000-0000-4000-8000-000000000000`)).status).toBe(404);

    // A changed host key is refused, and the page says which key the server presented.
    const pinnedOther = `SHA256:${'B'.repeat(43)}`;
    await portal.admin.post(`/exports/sftp/${id}`, { ...valid, password: '', hostKeyFingerprint: pinnedOther });
    const mismatch = await portal.admin.post(`/exports/sftp/${id}/test`);
    expect(mismatch.text).toContain('The server presented a different host key than the pinned one');
    expect(mismatch.text).toContain(server.fingerprint);
    expect((await audit('sftp_destination.tested')).map((event) => event.detail.problem)).toEqual([null, 'host_key_mismatch']);

    expect((await portal.admin.post(`/exports/sftp/${id}/delete`)).headers.location).toBe('/exports/sftp?notice=destination_deleted');
    expect(await portal.sql(`select id from sftp_destination`)).toEqual([]);
    expect(await audit('sftp_destination.deleted')).toEqual([expect.objectContaining({ target_id: id })]);
    expect((await portal.admin.get(`/exports/sftp/${id}`)).status).toBe(404);
  });
});
