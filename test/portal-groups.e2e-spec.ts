import type { Server } from 'node:http';
import request from 'supertest';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { adminQuery, type TestDatabase } from './support/test-database.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'groups test passphrase';

describe('groups, redirect URLs, admins and the audit log in the portal', () => {
  let database: TestDatabase;
  let server: Server;
  let admin: PortalTestClient;
  const sql = (text: string, params: unknown[] = []) => adminQuery(database.settings.url, text, params);

  let portal: SignedInPortal;

  beforeAll(async () => {
    portal = await startSignedInPortal('groups-admin', PASSWORD);
    ({ database, server, admin } = portal);
  });
  afterAll(() => portal?.close());

  async function createGroup(displayName: string, description = ''): Promise<string> {
    await admin.get('/groups/new');
    const created = await admin.post('/groups', { displayName, description });
    expect(created.status).toBe(303);
    return /^\/groups\/([0-9A-Z]{12})\?/.exec(created.headers.location)![1];
  }

  it('creates a group with a generated group ID and shows it on the details page', async () => {
    const groupId = await createGroup('Blood Pressure Study', 'Twelve weeks, two clinics.');
    const page = await admin.get(`/groups/${groupId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<code id="group-id" class="group-id">${groupId}</code>`);
    expect(page.text).toContain('data-copy-target="group-id"');
    expect(page.text).toContain('Blood Pressure Study');
    // With no redirect URL registered, the platform's result page is named.
    expect(page.text).toContain('http://127.0.0.1:3000/consent/result');
    const [event] = await sql(`select actor_login, target_id from audit_event where action = 'group.created'`);
    expect(event).toEqual({ actor_login: 'groups-admin', target_id: groupId });
  });

  it('re-renders the group form with field errors for bad input, and saves nothing', async () => {
    await admin.get('/groups/new');
    const before = await sql(`select count(*)::int as n from program_group`);
    const empty = await admin.post('/groups', { displayName: '   ', description: 'x' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('id="displayName-error"');
    expect(empty.text).toContain('>x</textarea>');
    const long = await admin.post('/groups', { displayName: 'y'.repeat(201), description: 'z'.repeat(2001) });
    expect(long.status).toBe(422);
    expect(long.text).toContain('id="description-error"');
    // Arrays and nested objects where strings belong are bad input, not a crash.
    const odd = await admin.post('/groups', { displayName: ['a', 'b'] as unknown as string });
    expect(odd.status).toBe(422);
    expect(await sql(`select count(*)::int as n from program_group`)).toEqual(before);
  });

  it('answers malformed and oversized bodies with a 4xx page, never a 500', async () => {
    const cookie = [...admin.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const malformed = await request(server)
      .post('/groups')
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .send('{"displayName": ');
    expect(malformed.status).toBe(400);
    const huge = await request(server)
      .post('/groups')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: admin.csrfToken, displayName: 'x'.repeat(2_000_000) });
    expect(huge.status).toBe(413);
    const json = await request(server)
      .post('/groups')
      .set('Cookie', cookie)
      .send({ _csrf: admin.csrfToken, displayName: { nested: true } });
    expect(json.status).toBe(422);
  });

  it('escapes what admins type', async () => {
    const groupId = await createGroup('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>');
    const page = await admin.get(`/groups/${groupId}`);
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<img src=x');
  });

  it('edits and archives a group, and restores it', async () => {
    const groupId = await createGroup('Before');
    await admin.get(`/groups/${groupId}/edit`);
    expect((await admin.post(`/groups/${groupId}`, { displayName: 'After', description: 'New text' })).status).toBe(303);
    expect((await admin.get(`/groups/${groupId}`)).text).toContain('After');
    expect((await admin.post(`/groups/${groupId}/archive`)).status).toBe(303);
    expect((await admin.get('/groups')).text).not.toContain(groupId);
    expect((await admin.get('/groups?status=archived')).text).toContain(groupId);
    expect((await admin.post(`/groups/${groupId}/restore`)).status).toBe(303);
    expect((await admin.get('/groups')).text).toContain(groupId);
    const actions = await sql(`select action from audit_event where target_id = $1 order by id`, [groupId]);
    expect(actions.map((row) => row.action)).toEqual(['group.created', 'group.updated', 'group.archived', 'group.restored']);
  });

  it('registers several redirect URLs with exactly one default, and validates each', async () => {
    const groupId = await createGroup('With URLs');
    await admin.get(`/groups/${groupId}`);
    const add = (url: string, makeDefault = false) =>
      admin.post(`/groups/${groupId}/redirect-urls`, { url, ...(makeDefault ? { makeDefault: 'on' } : {}) });

    for (const [url, message] of [
      ['http://clinic.example/welcome', 'must use https://'],
      ['http://localhost:8080/cb', 'must use https://'],
      ['not a url', 'not an absolute URL'],
      ['https://user:pw@clinic.example/', 'user name or password'],
      ['https://clinic.example/#x', '#fragment'],
      ['', 'Please fill in this field'],
    ]) {
      const refused = await add(url);
      expect([url, refused.status]).toEqual([url, 422]);
      expect(refused.text).toContain(message);
      // The re-rendered page keeps the panels other rooms add to it.
      expect(refused.text).toContain('id="consent-links"');
    }
    expect((await add('https://clinic.example/welcome')).status).toBe(303);
    expect((await add('https://clinic.example/welcome')).text).toContain('registered already');
    expect((await add('https://clinic.example/other', true)).status).toBe(303);
    expect((await add('https://clinic.example/third')).status).toBe(303);

    const urls = async () =>
      sql(
        `select u.id, u.url, u.is_default from group_redirect_url u join program_group g on g.id = u.group_id where g.group_id = $1 order by u.created_at`,
        [groupId],
      );
    expect((await urls()).map((row) => [row.url, row.is_default])).toEqual([
      ['https://clinic.example/welcome', false],
      ['https://clinic.example/other', true],
      ['https://clinic.example/third', false],
    ]);
    const [first, second] = await urls();
    expect((await admin.post(`/groups/${groupId}/redirect-urls/${first.id}/default`)).status).toBe(303);
    expect((await urls()).filter((row) => row.is_default).map((row) => row.url)).toEqual(['https://clinic.example/welcome']);
    // Removing the default hands it to the oldest remaining URL.
    expect((await admin.post(`/groups/${groupId}/redirect-urls/${first.id}/delete`)).status).toBe(303);
    expect((await urls()).map((row) => [row.url, row.is_default])).toEqual([
      ['https://clinic.example/other', true],
      ['https://clinic.example/third', false],
    ]);
    expect((await admin.post(`/groups/${groupId}/redirect-urls/${first.id}/delete`)).status).toBe(404);
    expect((await admin.post(`/groups/${groupId}/redirect-urls/not-a-uuid/default`)).status).toBe(404);
    expect(second.url).toBe('https://clinic.example/other');
    // The database itself refuses a second default.
    await expect(sql(`update group_redirect_url set is_default = true where url = 'https://clinic.example/third'`)).rejects.toThrow(
      /one_default/,
    );
  });

  it('answers unknown groups and malformed IDs with a 404 page, never a 500', async () => {
    for (const path of [
      '/groups/ZZZZZZZZZZZZ',
      '/groups/%27%3B--',
      '/groups/../../etc/passwd',
      '/admins/not-a-uuid',
      '/admins/00000000-0000-4000-8000-000000000000',
    ]) {
      const page = await admin.get(path);
      expect([path, page.status]).toEqual([path, 404]);
    }
    expect((await admin.get('/groups?after=garbage&status=nonsense')).status).toBe(200);
    expect((await admin.get('/audit?before=abc&from=2026-13-45&action=drop')).status).toBe(200);
  });

  it('invites an admin with a setup link by mail, and refuses bad invitations with field errors', async () => {
    const groupId = await createGroup('For the group admin');
    await admin.get('/admins/new');
    const bad = await admin.post('/admins', { loginId: 'a b', displayName: '', email: 'nope', role: 'emperor' });
    expect(bad.status).toBe(422);
    for (const field of ['loginId', 'displayName', 'email', 'role']) expect(bad.text).toContain(`id="${field}-error"`);
    const noGroups = await admin.post('/admins', { loginId: 'ga-1', displayName: 'GA', email: 'ga@example.test', role: 'group-admin' });
    expect(noGroups.status).toBe(422);
    expect(noGroups.text).toContain('at least one group');
    const taken = await admin.post('/admins', { loginId: 'groups-admin', displayName: 'X', email: 'x@example.test', role: 'viewer' });
    expect(taken.text).toContain('taken');

    const invited = await admin.post('/admins', {
      loginId: 'ga-1',
      displayName: 'GA',
      email: 'ga@example.test',
      role: 'group-admin',
      groupIds: [groupId],
    });
    expect(invited.status).toBe(303);
    const [mail] = await sql(`select to_address, text_body from mail_outbox where to_address = 'ga@example.test'`);
    const path = /(\/setup\/[A-Za-z0-9_-]+)/.exec(mail.text_body)![1];
    const newcomer = new PortalTestClient(server);
    await newcomer.get(path);
    expect((await newcomer.post(path, { password: 'group admin passphrase', confirmation: 'group admin passphrase' })).status).toBe(303);
    expect((await newcomer.signIn('ga-1', 'group admin passphrase')).status).toBe(303);
    const list = await newcomer.get('/groups');
    expect(list.text).toContain(groupId);
    expect(list.text).not.toContain('Blood Pressure Study');
  });

  it('filters the audit log by action, login ID and day', async () => {
    const all = await admin.get('/audit');
    expect(all.status).toBe(200);
    expect(all.text).toContain('group.created');
    const filtered = await admin.get('/audit?action=redirect_url.added');
    const rows = filtered.text.match(/<code class="action">redirect_url\.added<\/code>/g) ?? [];
    expect(rows.length).toBe(3);
    expect(filtered.text).not.toContain('<code class="action">group.created</code>');
    expect((await admin.get('/audit?actor=nobody')).text).toContain('No entries match');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
    expect((await admin.get(`/audit?from=${today}&to=${today}&action=group.created`)).text).toContain(
      '<code class="action">group.created</code>',
    );
    expect((await admin.get('/audit?from=2001-01-01&to=2001-01-02')).text).toContain('No entries match');
  });

  it('switches the language, and shows times in the environment time zone', async () => {
    const english = await admin.get('/groups');
    expect(english.text).toContain('<html lang="en">');
    await admin.post('/language', { lang: 'ja', returnTo: '/groups' });
    const japanese = await admin.get('/groups');
    expect(japanese.text).toContain('<html lang="ja">');
    expect(japanese.text).toContain('グループ');
    expect(japanese.text).toMatch(/\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} JST/);
    await admin.post('/language', { lang: 'en', returnTo: 'https://evil.example/' });
    expect((await admin.get('/groups')).text).toContain('<html lang="en">');
  });
});
