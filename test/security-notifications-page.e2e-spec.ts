import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

describe('the environment page under NOTIFICATION_AUTH=none', () => {
  let open: SignedInPortal | undefined;
  let closed: SignedInPortal | undefined;

  afterAll(async () => {
    await open?.close();
    await closed?.close();
  });

  it('warns in red that notifications are unauthenticated, and says nothing when they are not', async () => {
    open = await startSignedInPortal('env-admin', 'a-long-enough-passphrase-1', { NOTIFICATION_AUTH: 'none' });
    const warned = await open.admin.get('/environment');
    expect(warned.status).toBe(200);
    expect(warned.text).toMatch(
      /<p class="error" role="alert" id="notifications-open">Warning: the Notification URI accepts unauthenticated/,
    );

    closed = await startSignedInPortal('env-admin', 'a-long-enough-passphrase-1', {
      NOTIFICATION_SHARED_SECRET: 'notification-secret-0123456789',
    });
    const quiet = await closed.admin.get('/environment');
    expect(quiet.status).toBe(200);
    expect(quiet.text).not.toContain('notifications-open');
  });
});
