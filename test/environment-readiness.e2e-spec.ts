import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'readiness test passphrase';

/** Each checklist row's state (`ready` or `missing`) by item. */
function states(html: string): Record<string, string> {
  return Object.fromEntries(
    [...html.matchAll(/<tr id="readiness-(\w+)" class="readiness-(ready|missing)">/g)].map((match) => [match[1], match[2]]),
  );
}

describe('the readiness checklist on the environment page', () => {
  const portals: SignedInPortal[] = [];
  afterAll(async () => {
    for (const portal of portals) await portal.close();
  });

  it('shows what a development-like configuration still misses, with what to do', async () => {
    const portal = await startSignedInPortal('ready-admin', PASSWORD, {
      OMRON_OAUTH_WEBSITE_URL: 'http://sandbox.example.com:3100',
      OMRON_OAUTH_API_URL: 'http://sandbox.example.com:3100/stg',
    });
    portals.push(portal);
    const page = await portal.admin.get('/environment');
    expect(page.status).toBe(200);
    expect(states(page.text)).toEqual({
      omron: 'missing',
      notifications: 'missing',
      smtp: 'missing',
      https: 'missing',
      key: 'ready',
      backup: 'missing',
      sandbox: 'missing',
    });
    expect(page.text).toContain('Set NOTIFICATION_SHARED_SECRET');
    expect(page.text).toContain('Set SMTP_URL');
    expect(page.text).toContain('Participants are sent to the sandbox at http://sandbox.example.com:3100');
  });

  it('shows a production configuration ready once a backup is recorded (audited), and an old key as due', async () => {
    const portal = await startSignedInPortal('prod-admin', PASSWORD, {
      PUBLIC_BASE_URL: 'https://dsp.example.com',
      NOTIFICATION_SHARED_SECRET: 'notification-secret-0123456789',
      SMTP_URL: 'smtps://mailer:password@smtp.example.com:465',
    });
    portals.push(portal);
    expect(states((await portal.admin.get('/environment')).text)).toMatchObject({ omron: 'ready', backup: 'missing', key: 'ready' });

    expect((await portal.admin.post('/environment/backup', { day: 'yesterday' })).status).toBe(422);
    const today = new Date().toISOString().slice(0, 10);
    const recorded = await portal.admin.post('/environment/backup', { day: today });
    expect(recorded.status).toBe(303);
    const page = await portal.admin.get('/environment');
    expect(states(page.text)).toEqual({
      omron: 'ready',
      notifications: 'ready',
      smtp: 'ready',
      https: 'ready',
      key: 'ready',
      backup: 'ready',
      sandbox: 'ready',
    });
    expect(page.text).toContain(`Last pg_dump recorded: ${today}.`);
    expect(await portal.sql(`select actor_login, detail from audit_event where action = 'environment.backup_recorded'`)).toEqual([
      { actor_login: 'prod-admin', detail: { day: today } },
    ]);

    await portal.sql(`update operations_fact set recorded_at = now() - interval '400 days' where name like 'encryption_key:%'`);
    const aged = await portal.admin.get('/environment');
    expect(states(aged.text).key).toBe('missing');
    expect(aged.text).toContain('has been active for 400 days');
  });
});
