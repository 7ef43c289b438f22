import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import { dspOrmConfig } from '@opendsp/database';
import { PortalTestClient } from '../libs/admin-auth/src/testing/portal-test-client.helpers.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

const PASSWORD = 'registration test passphrase';

describe('the OMRON registration sheet (/environment/omron-registration)', () => {
  let portal: SignedInPortal;

  beforeAll(async () => {
    portal = await startSignedInPortal('sheet-admin', PASSWORD, {
      PUBLIC_BASE_URL: 'https://dsp.example.com',
      NOTIFICATION_SHARED_SECRET: 'notification-secret-0123456789',
      DSP_ALLOWED_SOURCE_IPS: '127.0.0.1/32,203.0.113.0/24',
    });
  });
  afterAll(() => portal?.close());

  it("lists this environment's values for OMRON, each with a copy button, and the scopes of every active group", async () => {
    await portal.admin.get('/groups/new');
    expect((await portal.admin.post('/groups', { displayName: 'Hypertension Study', description: '' })).status).toBe(303);

    const page = await portal.admin.get('/environment/omron-registration');
    expect(page.status).toBe(200);
    // Handlebars writes "=" as an entity; the browser (and the copy button) reads it back as "=".
    const html = page.text.replaceAll('&#x3D;', '=');
    const values: Record<string, string> = {
      'reg-redirect-uri': 'https://dsp.example.com/consent/callback',
      'reg-notification-uri': 'https://dsp.example.com/omron/notifications?secret=notification-secret-0123456789',
      // East Asia: temperature and oxygen are offered in Europe only.
      'reg-requested-scopes': 'bloodpressure activity weight',
      'reg-source-ips': '127.0.0.1/32, 203.0.113.0/24',
      'reg-region': 'East Asia: JP, KR',
      'reg-timezone': 'Asia/Tokyo',
      'reg-language': 'EN',
      'reg-admin-name': 'Test Admin',
      'reg-admin-id': 'test-admin',
      'reg-admin-email': 'admin@example.test',
    };
    for (const [id, value] of Object.entries(values)) {
      expect(html).toMatch(new RegExp(`<code id="${id}"[^>]*>${value.replace(/[.?/]/g, '\\$&')}</code>`));
      expect(page.text).toContain(`data-copy-target="${id}"`);
    }
    expect(page.text).toMatch(
      /Hypertension Study <small class="muted">[0-9A-Z]{12}<\/small><\/td><td><code id="reg-scopes-[0-9A-Z]{12}">bloodpressure activity weight<\/code>/,
    );
    expect(page.text).toContain('data-print');
    expect((await portal.admin.get('/environment')).text).toContain('href="/environment/omron-registration"');
  });

  it('is for partner admins only: it carries the notification secret', async () => {
    const orm = await MikroORM.init(dspOrmConfig(portal.database.settings));
    const viewer = new AdminAccount('sheet-viewer', 'Viewer', 'viewer@example.test', 'viewer');
    viewer.passwordHash = await PasswordHasher.hash(PASSWORD);
    await orm.em.fork().persist(viewer).flush();
    await orm.close(true);
    const client = new PortalTestClient(portal.server);
    expect((await client.signIn('sheet-viewer', PASSWORD)).status).toBe(303);
    const page = await client.get('/environment/omron-registration');
    expect(page.status).toBe(403);
    expect(page.text).not.toContain('notification-secret-0123456789');
    expect((await client.get('/environment')).text).not.toContain('/environment/omron-registration');
  });
});
