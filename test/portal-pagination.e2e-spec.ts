import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { adminQuery, type TestDatabase } from './support/test-database.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'pagination test passphrase';

describe('portal lists with 100,000 rows', () => {
  let database: TestDatabase;
  let admin: PortalTestClient;
  const sql = (text: string, params: unknown[] = []) => adminQuery(database.settings.url, text, params);

  let portal: SignedInPortal;

  beforeAll(async () => {
    portal = await startSignedInPortal('pager', PASSWORD);
    ({ database, admin } = portal);
  });
  afterAll(() => portal?.close());

  beforeAll(async () => {
    await sql(`insert into program_group (id, group_id, display_name, description, created_at)
      select gen_random_uuid(), 'P' || lpad(to_hex(n), 11, '0'), 'Bulk group ' || n, '',
             date_trunc('milliseconds', now() - interval '1 day' - n * interval '1 second')
        from generate_series(1, 100000) as n`);
    await sql(`insert into audit_event (occurred_at, actor_login, action, target_type, target_id, ip, detail)
      select now() - interval '2 days' - n * interval '1 second', 'bulk-' || (n % 50), (array['auth.login', 'group.updated', 'auth.login_failed'])[1 + n % 3],
             'group', 'P' || n, '127.0.0.1', '{}'::jsonb
        from generate_series(1, 100000) as n`);
    await sql(`analyze program_group; analyze audit_event`);
  }, 60_000);

  // Speed is proved without a clock: the next test shows every page query walks an index, and
  // `npm run bench -- portal-pages` measures page times against a baseline of the same run.
  it('pages through groups and the audit log, deep pages included', async () => {
    const get = async (path: string) => {
      const page = await admin.get(path);
      expect([path, page.status]).toEqual([path, 200]);
      return page;
    };
    // The link as a browser follows it: Handlebars writes `=` as `&#x3D;` and `&` as `&amp;`.
    const nextLink = (text: string) => /<a href="([^"]+)" rel="next">/.exec(text)![1].replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');
    let path = '/groups?status=all';
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const page = await get(path);
      for (const match of page.text.matchAll(/<td><a href="\/groups\/([^"]+)"/g)) seen.add(match[1]);
      path = nextLink(page.text);
    }
    expect(seen.size).toBe(250);
    const deep = await sql(`select created_at, id, group_id from program_group order by created_at desc, id desc offset 90000 limit 2`);
    const cursor = `${(deep[0].created_at as Date).toISOString()}~${deep[0].id}`;
    const deepPage = await get(`/groups?status=all&after=${encodeURIComponent(cursor)}`);
    // The page after the cursor starts with the row after it.
    expect(/<td><a href="\/groups\/([^"]+)"/.exec(deepPage.text)![1]).toBe(deep[1].group_id);

    const actions = (text: string) => new Set([...text.matchAll(/<code class="action">([^<]+)<\/code>/g)].map((match) => match[1]));
    const actors = (text: string) => new Set([...text.matchAll(/<td>(bulk-\d+)<\/td>/g)].map((match) => match[1]));
    const audit = await get('/audit?action=group.updated');
    expect(actions(audit.text)).toEqual(new Set(['group.updated']));
    expect(actions((await get(nextLink(audit.text))).text)).toEqual(new Set(['group.updated']));
    expect(actors((await get('/audit?actor=bulk-7&before=50000')).text)).toEqual(new Set(['bulk-7']));
  });

  it('uses indexes for the page queries', async () => {
    const plan = async (query: string, params: unknown[] = []) =>
      (await sql(`explain ${query}`, params)).map((row) => row['QUERY PLAN']).join('\n');
    expect(
      await plan(
        `select * from program_group where (created_at, id) < (now(), '00000000-0000-0000-0000-000000000000') order by created_at desc, id desc limit 51`,
      ),
    ).toContain('program_group_created_at_id_index');
    expect(await plan(`select * from audit_event where action = 'group.updated' and id < 90000 order by id desc limit 51`)).toMatch(
      /audit_event_action_id_index|audit_event_pkey/,
    );
    expect(await plan(`select * from audit_event where actor_login = 'bulk-7' order by id desc limit 51`)).toMatch(/Index/);
  });
});
