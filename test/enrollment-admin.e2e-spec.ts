import request, { type Response } from 'supertest';
import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { GroupAdminMembership, ProgramGroup } from '@opendsp/groups';
import {
  buildConsentUrl,
  CredentialSheets,
  Enrollment,
  InternalCustomerIds,
  LOGIN_ID_PATTERN,
  looksLikeOgscId,
  Participant,
  PASSWORD_ALPHABET,
  ParticipantProvisioning,
} from '@opendsp/participants';
import { OmronConnection, type ConnectionState } from '@opendsp/tokens';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { PNG_SIGNATURE, pngEncodes, svgEncodes } from './support/qr-image.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'enrollment admin passphrase';
const BASE = 'http://127.0.0.1:3000';
const DAY = 86_400_000;
// Settings under test, away from their defaults so that honouring them shows.
const EXPIRE_DAYS = 3;
const STALE_DAYS = 10;
const INVITATIONS_PER_HOUR = 4;

/** Text as Handlebars writes it into a page (`{{value}}`). */
const html = (text: string): string =>
  text.replace(
    /[&<>"'`=]/g,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' })[character]!,
  );
/** The reverse, for links read off a page. */
const unhtml = (text: string): string =>
  text.replace(
    /&(amp|lt|gt|quot|#x27|#x60|#x3D);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#x27': "'", '#x60': '`', '#x3D': '=' })[name]!,
  );

interface SheetRow {
  ogscId: string;
  loginId: string;
  password: string;
  internalCustomerId: string;
}

describe('enrollment admin: pre-created accounts, customer IDs, consent links and the funnel', () => {
  let portal: SignedInPortal;
  let admin: PortalTestClient;
  let orm: MikroORM;
  let groupA: string;
  let groupB: string;
  const sql = <R = Record<string, unknown>>(text: string, params: unknown[] = []) => portal.sql(text, params) as Promise<R[]>;

  beforeAll(async () => {
    portal = await startSignedInPortal('enroll-admin', PASSWORD, {
      PRECREATED_CREDENTIALS_EXPIRE_DAYS: String(EXPIRE_DAYS),
      STALE_AFTER_DAYS: String(STALE_DAYS),
      CONSENT_INVITATIONS_PER_HOUR: String(INVITATIONS_PER_HOUR),
    });
    admin = portal.admin;
    orm = await MikroORM.init(dspOrmConfig(portal.database.settings));
    groupA = await createGroup('Clinic A', ['https://clinic-a.example/welcome', 'https://clinic-a.example/app']);
    groupB = await createGroup('Clinic B', ['https://clinic-b.example/welcome']);
  });
  afterAll(async () => {
    await orm?.close(true);
    await portal?.close();
  });

  async function createGroup(displayName: string, urls: string[] = [], client = admin): Promise<string> {
    await client.get('/groups/new');
    const created = await client.post('/groups', { displayName });
    const groupId = /^\/groups\/([0-9A-Z]{12})\?/.exec(created.headers.location)![1];
    for (const url of urls) expect((await client.post(`/groups/${groupId}/redirect-urls`, { url })).status).toBe(303);
    return groupId;
  }

  /** Uploads a provisioning CSV as a browser does (multipart, with the page's CSRF token). */
  async function upload(groupId: string, content: string | Buffer, client = admin, filename = 'participants.csv'): Promise<Response> {
    await client.get(`/groups/${groupId}/participants/new`);
    const cookie = [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return request(portal.server)
      .post(`/groups/${groupId}/participants/import`)
      .set('Cookie', cookie)
      .field('_csrf', client.csrfToken)
      .attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), { filename, contentType: 'text/csv' });
  }

  /** Follows a provisioning answer to its credential sheet and reads the credentials off the page. */
  async function openSheet(answer: Response, client = admin): Promise<{ page: Response; rows: SheetRow[] }> {
    expect([answer.status, answer.text]).toEqual([303, expect.anything()]);
    const location = answer.headers.location;
    expect(location).toMatch(/^\/groups\/[0-9A-Z]{12}\/credential-sheet\?sheet=[0-9a-f-]{36}$/);
    const page = await client.get(location);
    expect(page.status).toBe(200);
    const rows = [
      ...page.text.matchAll(
        /<tr><td><code>(OG-[0-9A-Z]+)<\/code><\/td><td><code class="login-id">([^<]+)<\/code><\/td><td><code class="password">([^<]+)<\/code><\/td><td>([^<]*)<\/td><\/tr>/g,
      ),
    ].map(([, ogscId, loginId, password, internalCustomerId]) => ({ ogscId, loginId, password, internalCustomerId }));
    return { page, rows };
  }

  const count = async (table: string): Promise<number> => Number((await sql<{ n: string }>(`select count(*) as n from ${table}`))[0].n);
  const snapshot = async () => ({
    participants: await count('participant'),
    enrollments: await count('enrollment'),
    sheets: await count('credential_sheet'),
    audit: await count('audit_event'),
  });

  /** Every row of every table as text: what a dump of the database would contain. */
  async function everythingStored(except: string[] = []): Promise<string> {
    const tables = await sql<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    let text = '';
    for (const { name } of tables.filter((table) => !except.includes(table.name))) {
      text += (await sql<{ row: string }>(`select t::text as row from "${name}" t`)).map((row) => row.row).join('\n');
    }
    return text;
  }

  describe('pre-created accounts', () => {
    it('creates one participant from the form, shows the password once, and stores only an argon2id hash', async () => {
      await admin.get(`/groups/${groupA}/participants/new`);
      const answer = await admin.post(`/groups/${groupA}/participants`, { internalCustomerId: ' CUST-1 ', count: '1' });
      const [sheetRow] = await sql<{ credentials_ciphertext: string; created_by: string }>(
        `select credentials_ciphertext, created_by from credential_sheet`,
      );
      expect(sheetRow.credentials_ciphertext).toMatch(/^v1\.test-key\./);

      const { page, rows } = await openSheet(answer);
      expect(rows).toHaveLength(1);
      const [credential] = rows;
      expect(looksLikeOgscId(credential.ogscId)).toBe(true);
      expect(credential.loginId).toMatch(LOGIN_ID_PATTERN);
      expect(credential.loginId.startsWith(`${groupA.slice(0, 4)}-`)).toBe(true);
      expect(credential.password).toMatch(new RegExp(`^[${PASSWORD_ALPHABET}]{16}$`));
      expect(credential.internalCustomerId).toBe('CUST-1');
      // The encrypted sheet never held the password readably.
      expect(sheetRow.credentials_ciphertext).not.toContain(credential.password);

      // The CSV download is part of the page (a data: URL), so nothing is fetched again.
      const dataUrl = unhtml(/id="download-csv" href="([^"]+)"/.exec(page.text)![1]);
      expect(dataUrl.startsWith('data:text/csv;charset=utf-8;base64,')).toBe(true);
      const csv = Buffer.from(dataUrl.split(',')[1], 'base64');
      expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(csv.toString('utf8')).toContain(`${credential.ogscId},${credential.loginId},${credential.password},CUST-1,`);

      // Shown once: the sheet is gone, and a second fetch is refused.
      expect(await count('credential_sheet')).toBe(0);
      const again = await admin.get(answer.headers.location);
      expect(again.status).toBe(410);
      expect(again.text).toContain('shown already');
      expect(again.text).not.toContain(credential.password);

      const [stored] = await sql<Record<string, unknown>>(
        `select p.*, e.status, e.invited_at, e.internal_customer_id from participant p join enrollment e on e.participant_id = p.id where p.ogsc_id = $1`,
        [credential.ogscId],
      );
      expect(stored).toEqual(
        expect.objectContaining({
          enrollment_method: 'pre_created',
          login_id: credential.loginId,
          must_change_password: true,
          status: 'invited',
          internal_customer_id: 'CUST-1',
        }),
      );
      expect(stored.invited_at).toBeInstanceOf(Date);
      expect(String(stored.password_hash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await expect(PasswordHasher.verify(String(stored.password_hash), credential.password)).resolves.toBe(true);
      const expiresIn = (stored.credentials_expire_at as Date).getTime() - Date.now();
      expect(Math.abs(expiresIn - EXPIRE_DAYS * DAY)).toBeLessThan(60_000);

      expect(await everythingStored()).not.toContain(credential.password);
      const events = await sql<{ action: string; detail: Record<string, unknown> }>(
        `select action, detail from audit_event where action like 'participant%' order by id`,
      );
      expect(events).toEqual([
        { action: 'participants.provisioned', detail: expect.objectContaining({ source: 'form', count: 1, ogscIds: [credential.ogscId] }) },
        { action: 'participants.credential_sheet_opened', detail: expect.objectContaining({ count: 1 }) },
      ]);
      expect(JSON.stringify(events)).not.toContain(credential.password);
    });

    it('creates several accounts without customer IDs from the form', async () => {
      await admin.get(`/groups/${groupA}/participants/new`);
      const { rows } = await openSheet(await admin.post(`/groups/${groupA}/participants`, { internalCustomerId: '', count: '3' }));
      expect(rows).toHaveLength(3);
      expect(rows.map((row) => row.internalCustomerId)).toEqual(['', '', '']);
      expect(new Set(rows.map((row) => row.password)).size).toBe(3);
      expect(new Set(rows.map((row) => row.loginId)).size).toBe(3);
    });

    it('provisions a whole CSV file in one go, each participant with their own unique credentials', async () => {
      const before = await snapshot();
      const answer = await upload(groupA, '\uFEFFinternal_customer_id\r\nCSV-001\r\n""\r\n"CSV,002"\r\n顧客-003\r\n');
      const { rows } = await openSheet(answer);
      expect(rows.map((row) => row.internalCustomerId)).toEqual(['CSV-001', '', 'CSV,002', '顧客-003']);
      expect(new Set(rows.map((row) => row.password)).size).toBe(4);
      expect(new Set(rows.map((row) => row.loginId)).size).toBe(4);
      for (const row of rows) {
        expect(row.password).toHaveLength(16);
        expect([...row.password].every((character) => PASSWORD_ALPHABET.includes(character))).toBe(true);
      }
      const after = await snapshot();
      expect([after.participants - before.participants, after.enrollments - before.enrollments]).toEqual([4, 4]);
      const hashes = await sql<{ password_hash: string }>(`select password_hash from participant where login_id = any($1)`, [
        rows.map((r) => r.loginId),
      ]);
      expect(hashes.every((row) => row.password_hash.startsWith('$argon2id$'))).toBe(true);
      const [event] = await sql<{ detail: { source: string; count: number } }>(
        `select detail from audit_event where action = 'participants.provisioned' order by id desc limit 1`,
      );
      expect(event.detail).toEqual(expect.objectContaining({ source: 'csv', count: 4 }));
    });

    it('refuses a CSV file with problems as a whole, naming every line, and creates nothing', async () => {
      const before = await snapshot();
      const file = ['internal_customer_id', 'NEW-1', 'CUST-1', 'NEW-2', 'NEW-1', 'x'.repeat(101), 'A,B', 'NEW-3'].join('\n');
      const answer = await upload(groupA, file);
      expect(answer.status).toBe(422);
      expect(answer.text).toContain('Nothing was created');
      const problems = [...answer.text.matchAll(/<li><strong>Line (\d+):<\/strong> ([^<]+)<\/li>/g)].map(
        ([, line, text]) => `${line}: ${text}`,
      );
      expect(problems).toEqual([
        '5: This internal customer ID appears already on line 2.',
        '6: The internal customer ID is too long (at most 100 characters).',
        '7: This line has 2 values; only one (the internal customer ID) is expected.',
      ]);
      expect(await snapshot()).toEqual(before);

      // Once the file itself is sound, a clash with an existing participant of the group is named by line too.
      const clash = await upload(groupA, 'internal_customer_id\nNEW-1\nCUST-1\nCSV-001\n');
      expect(clash.status).toBe(422);
      expect(clash.text).toContain(
        '<strong>Line 3:</strong> The internal customer ID CUST-1 belongs to another participant of this group already.',
      );
      expect(clash.text).toContain('<strong>Line 4:</strong> The internal customer ID CSV-001 belongs');
      expect(await snapshot()).toEqual(before);

      // The same IDs are free in another group.
      expect((await openSheet(await upload(groupB, 'internal_customer_id\nCUST-1\n'))).rows).toHaveLength(1);
    });

    it('answers bad files and bad forms with a friendly page, and creates nothing', async () => {
      const before = await snapshot();
      const cases: [string, Promise<Response>, number, string][] = [
        ['no file', admin.post(`/groups/${groupA}/participants/import`, {}), 422, 'Please choose a CSV file.'],
        ['empty file', upload(groupA, ''), 422, 'Please choose a CSV file.'],
        [
          'Shift_JIS',
          upload(groupA, Buffer.concat([Buffer.from('internal_customer_id\n'), Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67, 0x0a])])),
          422,
          'not UTF-8',
        ],
        ['an image', upload(groupA, Buffer.concat([PNG_SIGNATURE, Buffer.from('IHDR')]), admin, 'photo.png'), 422, 'not UTF-8'],
        ['binary in UTF-8', upload(groupA, '\u0000\u0001IHDR\n'), 422, 'must be the header'],
        ['no header', upload(groupA, 'C-1\nC-2\n'), 422, 'must be the header'],
        ['header only', upload(groupA, 'internal_customer_id\n'), 422, 'There is no participant to create.'],
        ['unclosed quote', upload(groupA, 'internal_customer_id\n"C-1\n'), 422, 'not valid CSV'],
        ['1,001 rows', upload(groupA, `internal_customer_id\n${'""\n'.repeat(1001)}`), 422, 'At most 1000 participants'],
        ['540 KB', upload(groupA, `internal_customer_id\n${'x'.repeat(540 * 1024)}\n`), 422, 'larger than 512 KB'],
        ['2 MB', upload(groupA, `internal_customer_id\n${'x'.repeat(2 * 1024 * 1024)}\n`), 413, 'too large'],
      ];
      for (const [name, pending, status, text] of cases) {
        const answer = await pending;
        expect([name, answer.status]).toEqual([name, status]);
        expect(answer.text).toContain(text);
      }
      await admin.get(`/groups/${groupA}/participants/new`);
      for (const [form, text] of [
        [{ internalCustomerId: 'ONE', count: '2' }, 'set the number of accounts to 1'],
        [{ count: '0' }, 'Enter a whole number from 1 to 100.'],
        [{ count: '101' }, 'Enter a whole number from 1 to 100.'],
        [{ count: 'many' }, 'Enter a whole number from 1 to 100.'],
        [{ internalCustomerId: 'CUST-1' }, 'CUST-1 belongs to another participant'],
        [{ internalCustomerId: 'line\u0007break' }, 'control characters'],
      ] as const) {
        const answer = await admin.post(`/groups/${groupA}/participants`, form);
        expect([form, answer.status]).toEqual([form, 422]);
        expect(answer.text).toContain(text);
      }
      expect(await snapshot()).toEqual(before);

      // An archived group takes no new participants until it is restored.
      const archived = await createGroup('Archived group');
      expect((await admin.post(`/groups/${archived}/archive`)).status).toBe(303);
      await admin.get(`/groups/${archived}/participants/new`);
      const refused = await admin.post(`/groups/${archived}/participants`, { count: '1' });
      expect([refused.status, refused.text.includes('This group is archived')]).toEqual([422, true]);
      expect(await snapshot()).toEqual({ ...before, audit: before.audit + 2 });
    });

    it('honours the credentials expiry setting in the service the REST API will call', async () => {
      const outcome = await portal.app.get(ParticipantProvisioning).provision(
        groupB,
        [
          { line: 1, internalCustomerId: 'API-1' },
          { line: 2, internalCustomerId: null },
        ],
        { login: 'api:test' },
        { source: 'api' },
      );
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.sheetId).toBeNull();
      expect(outcome.credentials).toHaveLength(2);
      expect(Math.abs(outcome.credentialsExpireAt.getTime() - Date.now() - EXPIRE_DAYS * DAY)).toBeLessThan(60_000);
      const stored = await sql<{ credentials_expire_at: Date }>(`select credentials_expire_at from participant where ogsc_id = any($1)`, [
        outcome.credentials.map((credential) => credential.ogscId),
      ]);
      expect(stored.map((row) => row.credentials_expire_at.getTime())).toEqual([
        outcome.credentialsExpireAt.getTime(),
        outcome.credentialsExpireAt.getTime(),
      ]);
      // The API gets per-row problems, not an exception.
      const refused = await portal.app
        .get(ParticipantProvisioning)
        .provision(groupB, [{ line: 1, internalCustomerId: 'API-1' }], { login: 'api:test' }, { source: 'api' });
      expect(refused).toEqual({
        ok: false,
        problems: [{ line: 1, message: 'participants.customer_id_taken', params: { id: 'API-1' } }],
      });
    });

    it('opens a credential sheet only for the admin who provisioned, and not after it expired', async () => {
      const other = new PortalTestClient(portal.server);
      const em = orm.em.fork();
      const second = Object.assign(new AdminAccount('second-admin', 'Second', 'second@example.test', 'partner-admin'), {
        passwordHash: await PasswordHasher.hash(PASSWORD),
      });
      await em.persist(second).flush();
      expect((await other.signIn('second-admin', PASSWORD)).status).toBe(303);

      await admin.get(`/groups/${groupA}/participants/new`);
      const answer = await admin.post(`/groups/${groupA}/participants`, { count: '1' });
      const refused = await other.get(answer.headers.location);
      expect(refused.status).toBe(410);
      // The other admin's attempt did not use the sheet up.
      expect((await openSheet(answer)).rows).toHaveLength(1);

      const late = await admin.post(`/groups/${groupA}/participants`, { count: '1' });
      await sql(`update credential_sheet set expires_at = now() - interval '1 second'`);
      expect((await admin.get(late.headers.location)).status).toBe(410);
      expect(await count('credential_sheet')).toBe(1);
      await expect(portal.app.get(CredentialSheets).purgeExpired()).resolves.toBe(1);
      expect(await count('credential_sheet')).toBe(0);
      // Without a sheet ID the page is just the way back to the list.
      expect((await admin.get(`/groups/${groupA}/credential-sheet`)).headers.location).toBe(`/groups/${groupA}/participants`);
    });

    it('resets the credentials of a pre-created participant: a new one-time password, the old one void', async () => {
      await admin.get(`/groups/${groupA}/participants/new`);
      const [first] = (await openSheet(await admin.post(`/groups/${groupA}/participants`, { internalCustomerId: 'RESET-1' }))).rows;
      await admin.get(`/groups/${groupA}/participants/${first.ogscId}`);
      const { rows } = await openSheet(await admin.post(`/groups/${groupA}/participants/${first.ogscId}/credentials`));
      expect(rows).toEqual([{ ogscId: first.ogscId, loginId: first.loginId, password: expect.any(String), internalCustomerId: 'RESET-1' }]);
      expect(rows[0].password).not.toBe(first.password);
      const [{ password_hash: hash }] = await sql<{ password_hash: string }>(`select password_hash from participant where ogsc_id = $1`, [
        first.ogscId,
      ]);
      await expect(PasswordHasher.verify(hash, first.password)).resolves.toBe(false);
      await expect(PasswordHasher.verify(hash, rows[0].password)).resolves.toBe(true);
      const [event] = await sql(`select actor_login, target_id from audit_event where action = 'participant.credentials_reset'`);
      expect(event).toEqual({ actor_login: 'enroll-admin', target_id: first.ogscId });
    });

    it('withdraws a participant from the group: consent ended, readings deleted, audited; another group’s URL answers 404', async () => {
      await admin.get(`/groups/${groupA}/participants/new`);
      const [person] = (await openSheet(await admin.post(`/groups/${groupA}/participants`, { internalCustomerId: 'WITHDRAW-1' }))).rows;
      await sql(
        `update enrollment set status = 'consented', consented_at = now() where participant_id = (select id from participant where ogsc_id = $1)`,
        [person.ogscId],
      );
      await sql(
        `insert into blood_pressure_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq,
                                             systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib)
         select id, 1, now(), '2026-11-23T09:00:00', 32400, 'HEM-7600T', nextval('measurement_change_seq'), 121, 79, 64, false
           from participant where ogsc_id = $1`,
        [person.ogscId],
      );

      await admin.get(`/groups/${groupB}/participants`);
      expect((await admin.post(`/groups/${groupB}/participants/${person.ogscId}/withdraw`)).status).toBe(404);
      expect(
        await sql(`select status from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1`, [person.ogscId]),
      ).toEqual([{ status: 'consented' }]);

      await admin.get(`/groups/${groupA}/participants/${person.ogscId}`);
      const withdrawn = await admin.post(`/groups/${groupA}/participants/${person.ogscId}/withdraw`);
      expect(withdrawn.status).toBe(303);
      expect(withdrawn.headers.location).toBe(`/groups/${groupA}/participants/${person.ogscId}?notice=withdrawn`);
      const [enrollment] = await sql(
        `select e.status, e.withdrawn_by like 'admin:%' as by_admin from enrollment e join participant p on p.id = e.participant_id where p.ogsc_id = $1`,
        [person.ogscId],
      );
      expect(enrollment).toEqual({ status: 'withdrawn', by_admin: true });
      expect(
        await sql(
          `select count(*)::int as n from blood_pressure_reading r join participant p on p.id = r.participant_id where p.ogsc_id = $1`,
          [person.ogscId],
        ),
      ).toEqual([{ n: 0 }]);
      const events = await sql(`select actor_login from audit_event where action = 'enrollment.withdrawn' and target_id = $1`, [
        person.ogscId,
      ]);
      expect(events).toEqual([{ actor_login: 'enroll-admin' }]);
    });

    it('lets a group admin provision into their own group only; other groups answer 404 and gain nothing', async () => {
      const em = orm.em.fork();
      const groupAdmin = Object.assign(new AdminAccount('group-a-admin', 'Group A admin', 'ga@example.test', 'group-admin'), {
        passwordHash: await PasswordHasher.hash(PASSWORD),
      });
      const group = await em.findOneOrFail(ProgramGroup, { groupId: groupA });
      await em.persist([groupAdmin, new GroupAdminMembership(groupAdmin, group)]).flush();
      const client = new PortalTestClient(portal.server);
      expect((await client.signIn('group-a-admin', PASSWORD)).status).toBe(303);

      const before = await sql(
        `select count(*)::int as n from enrollment e join program_group g on g.id = e.group_id where g.group_id = $1`,
        [groupB],
      );
      await client.get(`/groups/${groupA}/participants/new`);
      expect((await client.post(`/groups/${groupB}/participants`, { count: '5' })).status).toBe(404);
      expect((await upload(groupB, 'internal_customer_id\nSTOLEN\n', client)).status).toBe(404);
      for (const path of [
        'participants',
        'participants/new',
        'funnel',
        'consent-link',
        'consent-link/qr.png',
        'credential-sheet?sheet=x',
      ]) {
        expect([path, (await client.get(`/groups/${groupB}/${path}`)).status]).toEqual([path, 404]);
      }
      expect(
        await sql(`select count(*)::int as n from enrollment e join program_group g on g.id = e.group_id where g.group_id = $1`, [groupB]),
      ).toEqual(before);

      const { rows } = await openSheet(await upload(groupA, 'internal_customer_id\nGA-1\n', client), client);
      expect(rows).toEqual([expect.objectContaining({ internalCustomerId: 'GA-1' })]);
    });
  });

  describe('internal customer IDs', () => {
    it('sets, changes and clears the ID, refuses a clash with a clear message, and audits each change', async () => {
      await admin.get(`/groups/${groupA}/participants/new`);
      const [person] = (await openSheet(await admin.post(`/groups/${groupA}/participants`, {}))).rows;
      const path = `/groups/${groupA}/participants/${person.ogscId}`;
      const details = await admin.get(path);
      expect(details.status).toBe(200);
      expect(details.text).toContain(person.loginId);

      const clash = await admin.post(`${path}/internal-customer-id`, { internalCustomerId: 'CUST-1' });
      expect(clash.status).toBe(422);
      expect(clash.text).toContain('This internal customer ID belongs to another participant of this group already.');
      expect(clash.text).toContain('value="CUST-1"');
      const invalid = await admin.post(`${path}/internal-customer-id`, { internalCustomerId: 'a\tb' });
      expect(invalid.status).toBe(422);

      const saved = await admin.post(`${path}/internal-customer-id`, { internalCustomerId: 'CUST-77' });
      expect(saved.headers.location).toBe(`${path}?notice=customer_id_saved`);
      expect((await admin.get(saved.headers.location)).text).toContain('<dd id="internal-customer-id">CUST-77</dd>');
      expect((await admin.post(`${path}/internal-customer-id`, { internalCustomerId: 'CUST-77' })).headers.location).toContain(
        'customer_id_unchanged',
      );
      expect((await admin.post(`${path}/internal-customer-id`, { internalCustomerId: '' })).status).toBe(303);
      expect((await admin.post(`/groups/${groupA}/participants/OG-0000000000000000000000000/internal-customer-id`, {})).status).toBe(404);

      const events = await sql<{ detail: Record<string, unknown> }>(
        `select detail from audit_event where action = 'participant.internal_customer_id_changed' and target_id = $1 order by id`,
        [person.ogscId],
      );
      expect(events.map((event) => [event.detail.before, event.detail.after])).toEqual([
        [null, 'CUST-77'],
        ['CUST-77', null],
      ]);

      // The service the REST API will call answers the same way.
      const ids = portal.app.get(InternalCustomerIds);
      await expect(ids.set(groupA, person.ogscId, 'CUST-1', { login: 'api:test' })).resolves.toEqual({
        ok: false,
        errors: { internalCustomerId: 'participants.customer_id_taken_single' },
      });
      await expect(ids.set(groupA, person.ogscId, 'API-9', { login: 'api:test' })).resolves.toEqual({
        ok: true,
        internalCustomerId: 'API-9',
        changed: true,
      });
    });
  });

  describe('consent links', () => {
    const welcomeA = 'https://clinic-a.example/welcome';

    it('shows every registered URL’s consent link on the group page, with copy buttons and QR downloads', async () => {
      const page = await admin.get(`/groups/${groupA}`);
      expect(page.status).toBe(200);
      for (const [index, redirectUrl] of ['https://clinic-a.example/welcome', 'https://clinic-a.example/app'].entries()) {
        const url = buildConsentUrl(BASE, { groupId: groupA, redirectUrl });
        expect(page.text).toContain(`<code id="consent-url-${index}" class="url">${html(url)}</code>`);
        expect(page.text).toContain(`data-copy-target="consent-url-${index}"`);
      }
      expect(page.text).toContain(html(`/groups/${groupA}/consent-link/qr.png?redirect_url=https%3A%2F%2Fclinic-a.example%2Fwelcome`));
      // The enrollment panel beside it: counts, and the group's participant pages.
      expect(page.text).toContain('id="connection-counts"');
      expect(page.text).toContain(`href="/groups/${groupA}/participants/new"`);

      // A group without redirect URLs offers the platform's result page as the destination.
      const bare = await createGroup('Bare group');
      expect((await admin.get(`/groups/${bare}`)).text).toContain(
        html(buildConsentUrl(BASE, { groupId: bare, redirectUrl: `${BASE}/consent/result` })),
      );
      // Viewers see the links too (the group page is theirs to read).
      expect(page.text).toContain('id="consent-links"');
    });

    it('draws QR codes (PNG and SVG) that carry exactly the consent link', async () => {
      const url = buildConsentUrl(BASE, { groupId: groupA, redirectUrl: welcomeA });
      const png = await admin.get(`/groups/${groupA}/consent-link/qr.png?redirect_url=${encodeURIComponent(welcomeA)}`);
      expect(png.status).toBe(200);
      expect(png.headers['content-type']).toBe('image/png');
      const body = png.body as Buffer;
      expect(body.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect(pngEncodes(body, url, { margin: 4, errorCorrectionLevel: 'M' })).toBe(true);
      expect(pngEncodes(body, `${url}x`, { margin: 4, errorCorrectionLevel: 'M' })).toBe(false);

      const svg = await admin.get(`/groups/${groupA}/consent-link/qr.svg?redirect_url=${encodeURIComponent(welcomeA)}`);
      expect(svg.headers['content-type']).toContain('image/svg+xml');
      expect(svg.headers['content-disposition']).toBe(`attachment; filename="consent-link-${groupA}.svg"`);
      const text = Buffer.isBuffer(svg.body) ? svg.body.toString('utf8') : svg.text;
      expect(text).toMatch(/<path [^>]*d="M\d/);
      expect(svgEncodes(text, url, { margin: 4, errorCorrectionLevel: 'M' })).toBe(true);
      expect(svgEncodes(text, `${url}x`, { margin: 4, errorCorrectionLevel: 'M' })).toBe(false);
    });

    it('builds a link with custom_params, and refuses keys and URLs the DSP document does not allow', async () => {
      // back_url on the origin of one of the group's redirect URLs, as /consent/start will demand.
      const custom = "display_back:1,back_url:'https://clinic-a.example/back',back_url_params:'from:dsp'";
      const page = await admin.get(
        `/groups/${groupA}/consent-link?redirect_url=${encodeURIComponent(welcomeA)}&custom_params=${encodeURIComponent(custom)}`,
      );
      expect(page.status).toBe(200);
      const expected = buildConsentUrl(BASE, { groupId: groupA, redirectUrl: welcomeA, customParams: custom });
      expect(page.text).toContain(`<code id="consent-url" class="url">${html(expected)}</code>`);
      const png = await admin.get(
        `/groups/${groupA}/consent-link/qr.png?redirect_url=${encodeURIComponent(welcomeA)}&custom_params=${encodeURIComponent(custom)}`,
      );
      expect(pngEncodes(png.body as Buffer, expected, { margin: 4, errorCorrectionLevel: 'M' })).toBe(true);

      for (const [query, message] of [
        [`custom_params=${encodeURIComponent("display_back:1,back_url:'https://a.example',next:'x'")}`, 'The key next is not allowed'],
        [`custom_params=${encodeURIComponent("back_url:'javascript:alert(1)'")}`, 'back_url must be an absolute http:// or https:// URL'],
        [`custom_params=${encodeURIComponent('display_back:1')}`, 'back_url is needed'],
        // The rule /consent/start enforces (issue 15): a back_url on another site, or plain http, is refused here too.
        [`custom_params=${encodeURIComponent("display_back:1,back_url:'https://app.example/back'")}`, 'back_url must lead to the program'],
        [
          `custom_params=${encodeURIComponent("display_back:1,back_url:'http://clinic-a.example/back'")}`,
          'back_url must be an https:// address',
        ],
        [`custom_params=${encodeURIComponent('not rison at all')}`, 'not valid Rison'],
        [`redirect_url=${encodeURIComponent('https://evil.example/')}`, 'This URL is not registered for the group.'],
      ]) {
        const refused = await admin.get(`/groups/${groupA}/consent-link?${query}`);
        expect([query, refused.status]).toEqual([query, 422]);
        expect(refused.text).toContain(message);
        expect(refused.text).not.toContain('id="consent-url"');
        expect((await admin.get(`/groups/${groupA}/consent-link/qr.png?${query}`)).status).toBe(422);
      }
      // A repeated parameter is not one URL: it counts as absent, so the group's default link is shown, never a 500.
      const repeated = await admin.get(
        `/groups/${groupA}/consent-link?redirect_url=${encodeURIComponent('https://evil.example/')}&redirect_url=${encodeURIComponent(welcomeA)}`,
      );
      expect(repeated.status).toBe(200);
      const shown = /<code id="consent-url" class="url">([^<]*)<\/code>/.exec(repeated.text)?.[1];
      expect(shown).toBeDefined();
      expect(shown).not.toContain('evil.example');
    });

    it('mails invitations within the limits, keeps only hashes of addresses, and audits each sending', async () => {
      const invite = async (recipients: string, customParams = '') => {
        await admin.get(`/groups/${groupA}/consent-link`);
        return admin.post(`/groups/${groupA}/consent-link/invitations`, {
          redirectUrl: welcomeA,
          customParams,
          recipients,
          language: 'en',
        });
      };
      const sent = await invite('ann@example.test\nBEN@example.test, ann@example.test', 'display_back:0');
      expect(sent.status).toBe(303);
      expect(sent.headers.location).toContain('sent=2&skipped=0&failed=0');
      const link = buildConsentUrl(BASE, { groupId: groupA, redirectUrl: welcomeA, customParams: 'display_back:0' });
      const mails = await sql<{ to_address: string; subject: string; text_body: string }>(
        `select to_address, subject, text_body from mail_outbox order by id`,
      );
      expect(mails.map((mail) => mail.to_address)).toEqual(['ann@example.test', 'ben@example.test']);
      expect(mails[0].subject).toBe('Invitation: Clinic A');
      expect(mails[0].text_body).toContain(link);

      const rows = await sql<{ recipient_hash: string; redirect_url: string }>(
        `select recipient_hash, redirect_url from consent_invitation`,
      );
      expect(rows).toHaveLength(2);
      expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.recipient_hash) && row.redirect_url === welcomeA)).toBe(true);
      // Without SMTP_URL the outbox table stands in for the mail server; nothing else keeps the addresses.
      const stored = await everythingStored(['mail_outbox']);
      expect([stored.includes('ann@example.test'), stored.includes('ben@example.test')]).toEqual([false, false]);

      // The same address again within a day is skipped; a new one is sent.
      expect((await invite('ann@example.test\ncid@example.test')).headers.location).toContain('sent=1&skipped=1&failed=0');
      // Three sent this hour, four allowed: two more are refused, and nothing is sent.
      const limited = await invite('dan@example.test\neve@example.test');
      expect(limited.status).toBe(422);
      expect(limited.text).toContain(`The group may send ${INVITATIONS_PER_HOUR} invitations per hour; 1 are left this hour.`);
      expect(await count('mail_outbox')).toBe(3);
      const bad = await invite('not-an-address');
      expect([bad.status, bad.text.includes('not-an-address is not an e-mail address.')]).toEqual([422, true]);
      expect((await invite('')).status).toBe(422);
      // A form the DTO refuses comes back with what was typed and the field's message.
      const tooLong = await invite(`${'x'.repeat(20_001)}@example.test`);
      expect([tooLong.status, tooLong.text.includes('id="recipients-error"'), tooLong.text.includes('x'.repeat(20_001))]).toEqual([
        422,
        true,
        true,
      ]);

      const events = await sql<{ detail: Record<string, unknown> }>(
        `select detail from audit_event where action = 'participants.invitations_sent' order by id`,
      );
      expect(events.map((event) => [event.detail.recipients, event.detail.skippedRecentlyInvited])).toEqual([
        [2, 0],
        [1, 1],
      ]);
      const funnel = await admin.get(`/groups/${groupA}/funnel`);
      expect(funnel.text).toContain('Consent-link invitations e-mailed to 3 distinct addresses');
    });
  });

  describe('participants and the funnel', () => {
    it('counts each funnel stage and connection state from the data, and lists the participants behind each count', async () => {
      const groupId = await createGroup('Funnel group', ['https://funnel.example/welcome']);
      const em = orm.em.fork();
      const group = await em.findOneOrFail(ProgramGroup, { groupId });
      const other = await em.findOneOrFail(ProgramGroup, { groupId: groupB });
      const ago = (days: number) => new Date(Date.now() - days * DAY);
      // One row per participant: what the enrollment holds, the connection's state, and the stage it must count as.
      const seed: {
        stage: string;
        connection: ConnectionState | 'none';
        status: Enrollment['status'];
        invited?: number;
        opened?: number;
        consented?: number;
        first?: number;
        last?: number;
      }[] = [
        { stage: 'invited', connection: 'none', status: 'invited', invited: 5 },
        { stage: 'invited', connection: 'none', status: 'invited', invited: 30 },
        { stage: 'link_opened', connection: 'none', status: 'link_opened', invited: 4, opened: 3 },
        { stage: 'consented', connection: 'active', status: 'consented', opened: 2, consented: 1 },
        { stage: 'receiving', connection: 'active', status: 'consented', consented: 6, first: 5, last: 1 },
        { stage: 'receiving', connection: 'refreshing', status: 'consented', invited: 9, consented: 8, first: 8, last: STALE_DAYS - 1 },
        { stage: 'stale', connection: 'reconnect_needed', status: 'consented', consented: 20, first: 19, last: STALE_DAYS + 1 },
        // Consented long ago and never sent a reading: still `consented` (stale needs readings that stopped), as on the dashboard.
        { stage: 'consented', connection: 'revoked', status: 'consented', consented: STALE_DAYS + 2 },
        { stage: 'withdrawn', connection: 'active', status: 'withdrawn', consented: 15, first: 14, last: 13 },
      ];
      const ogscIds = new Map<string, string[]>();
      seed.forEach((row, index) => {
        const participant = new Participant('omron_connect');
        participant.omronUserId = `funnel-user-${index}`;
        const enrollment = new Enrollment(participant, group, row.status);
        enrollment.invitedAt = row.invited === undefined ? null : ago(row.invited);
        enrollment.linkOpenedAt = row.opened === undefined ? null : ago(row.opened);
        enrollment.consentedAt = row.consented === undefined ? null : ago(row.consented);
        enrollment.firstReadingAt = row.first === undefined ? null : ago(row.first);
        enrollment.lastReadingAt = row.last === undefined ? null : ago(row.last);
        if (row.status === 'withdrawn') enrollment.withdrawnAt = ago(12);
        em.persist([participant, enrollment]);
        if (row.connection !== 'none') {
          const connection = new OmronConnection({
            omronUserId: participant.omronUserId,
            scopes: 'openid bloodpressure',
            redirectUri: `${BASE}/consent/callback`,
            accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
            accessTokenLifetimeSeconds: 3600,
          });
          connection.state = row.connection;
          em.persist(connection);
        }
        ogscIds.set(row.stage, [...(ogscIds.get(row.stage) ?? []), participant.ogscId]);
      });
      // Someone in another group counts there, not here.
      const elsewhere = new Participant('omron_connect');
      em.persist([elsewhere, Object.assign(new Enrollment(elsewhere, other, 'consented'), { consentedAt: ago(1) })]);
      await em.flush();

      const tally = <K extends string>(keys: K[]) =>
        keys.reduce<Record<string, number>>((all, key) => ({ ...all, [key]: (all[key] ?? 0) + 1 }), {});
      const current = tally(seed.map((row) => row.stage));
      const reached = {
        invited: seed.filter((row) => row.invited !== undefined).length,
        link_opened: seed.filter((row) => row.opened !== undefined || row.consented !== undefined).length,
        consented: seed.filter((row) => row.consented !== undefined).length,
        receiving: seed.filter((row) => row.first !== undefined).length,
      };
      const connections = tally(
        seed.map((row) => (row.status === 'withdrawn' ? 'withdrawn' : row.connection === 'none' ? 'not_connected' : row.connection)),
      );

      // Anonymous link opens, as libs/consent counts them per day: 5 today, 2 ten days ago.
      await sql(
        `insert into consent_link_open (group_id, day, opens)
         select id, current_date, 5 from program_group where group_id = $1
         union all select id, current_date - 10, 2 from program_group where group_id = $1`,
        [groupId],
      );
      const page = await admin.get(`/groups/${groupId}/funnel`);
      expect(page.text).toContain('The consent link was opened 7 times (5 in the last 7 days)');
      expect(page.status).toBe(200);
      const stageRows = Object.fromEntries(
        [...page.text.matchAll(/<tr data-stage="(\w+)">[\s\S]*?<td class="reached">([\s\S]*?)<\/td>[\s\S]*?<a [^>]*>(\d+)<\/a>/g)].map(
          ([, stage, reachedCell, now]) => [
            stage,
            { reached: /^\d+$/.test(reachedCell.trim()) ? Number(reachedCell) : null, now: Number(now) },
          ],
        ),
      );
      expect(stageRows).toEqual({
        invited: { reached: reached.invited, now: current.invited },
        link_opened: { reached: reached.link_opened, now: current.link_opened },
        consented: { reached: reached.consented, now: current.consented },
        receiving: { reached: reached.receiving, now: current.receiving },
        stale: { reached: null, now: current.stale },
        withdrawn: { reached: null, now: current.withdrawn },
      });
      // The seed covers every stage, so the comparison above could not pass with zeros.
      expect(Object.values(current).every((n) => n > 0)).toBe(true);
      expect(page.text).toContain(`<td id="funnel-total">${seed.length}</td>`);
      const stateCounts = Object.fromEntries(
        [...page.text.matchAll(/<tr data-state="(\w+)"><td>[^<]*<\/td><td class="count">(\d+)<\/td><\/tr>/g)].map(([, state, n]) => [
          state,
          Number(n),
        ]),
      );
      expect(stateCounts).toEqual({
        active: 0,
        refreshing: 0,
        reconnect_needed: 0,
        revoked: 0,
        withdrawn: 0,
        not_connected: 0,
        ...connections,
      });

      // The group page shows the same connection counts.
      const details = await admin.get(`/groups/${groupId}`);
      for (const [state, n] of Object.entries(connections)) expect(details.text).toContain(`<dd data-state="${state}">${n}</dd>`);

      // Each count links to the participants behind it.
      for (const [stage, ids] of ogscIds) {
        const list = await admin.get(`/groups/${groupId}/participants?stage=${stage}`);
        const shown = [...list.text.matchAll(/\/participants\/(OG-[0-9A-Z]{24})"/g)].map((match) => match[1]);
        expect([stage, shown.sort()]).toEqual([stage, [...ids].sort()]);
      }
      const staleOne = await admin.get(`/groups/${groupId}/participants/${ogscIds.get('stale')![0]}`);
      expect(staleOne.text).toContain('Reconnect needed');
      expect(staleOne.text).toContain('Stale');
    });

    it('lists a group’s participants newest first, a page at a time, and finds one by login ID or customer ID', async () => {
      const groupId = await createGroup('Many participants');
      await admin.get(`/groups/${groupId}/participants/new`);
      const { rows } = await openSheet(await admin.post(`/groups/${groupId}/participants`, { count: '51' }));
      expect(rows).toHaveLength(51);
      const first = await admin.get(`/groups/${groupId}/participants`);
      const firstIds = [...first.text.matchAll(/\/participants\/(OG-[0-9A-Z]{24})"/g)].map((match) => match[1]);
      expect(firstIds).toHaveLength(50);
      const next = unhtml(/<a href="([^"]+)" rel="next">/.exec(first.text)![1]);
      const second = await admin.get(next);
      const secondIds = [...second.text.matchAll(/\/participants\/(OG-[0-9A-Z]{24})"/g)].map((match) => match[1]);
      expect(secondIds).toHaveLength(1);
      expect(new Set([...firstIds, ...secondIds])).toEqual(new Set(rows.map((row) => row.ogscId)));
      expect(second.text).not.toContain('rel="next"');

      const found = await admin.get(`/groups/${groupId}/participants?q=${encodeURIComponent(rows[7].loginId.toLowerCase())}`);
      expect([...found.text.matchAll(/\/participants\/(OG-[0-9A-Z]{24})"/g)].map((match) => match[1])).toEqual([rows[7].ogscId]);
      expect(found.text).toContain('Pre-created account');
      expect(found.text).toContain('Not connected');
      const byCustomerId = await admin.get(`/groups/${groupA}/participants?q=CUST-1`);
      expect(byCustomerId.text.match(/\/participants\/OG-/g)).toHaveLength(1);
      // A participant of another group is not found through this one.
      expect((await admin.get(`/groups/${groupId}/participants/${rows[0].ogscId}`)).status).toBe(200);
      expect((await admin.get(`/groups/${groupB}/participants/${rows[0].ogscId}`)).status).toBe(404);
    });
  });
});
