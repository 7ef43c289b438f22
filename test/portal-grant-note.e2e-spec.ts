import { ProgramGroup } from '@opendsp/groups';
import { createParticipant, withOrm } from './support/data-views-fixtures.js';
import { startSignedInPortal, type SignedInPortal } from './support/signed-in-portal.js';

/**
 * Issue 15: OMRON documents no revocation endpoint. Without OMRON_REVOCATION_URL, withdrawal only deletes the tokens
 * here, and the portal's participant page says the grant stays at OMRON; with it set, the note is absent.
 */
async function participantPage(portal: SignedInPortal): Promise<string> {
  const ogscId = await withOrm(portal.database.settings, async (orm) => {
    const em = orm.em.fork();
    const group = new ProgramGroup(`Grant note ${Math.random().toString(36).slice(2, 8)}`);
    await em.persist(group).flush();
    const created = await createParticipant(em, { connection: 'active', groups: [{ group, status: 'consented' }] });
    return created.participant.ogscId;
  });
  const page = await portal.admin.get(`/participants/${ogscId}`);
  expect(page.status).toBe(200);
  return page.text;
}

describe.each([
  ['unset', {}, true],
  ['set', { OMRON_REVOCATION_URL: 'https://omron.example.test/connect/revocation' }, false],
] as const)('the portal participant page with OMRON_REVOCATION_URL %s', (_label, env, noted) => {
  let portal: SignedInPortal;
  beforeAll(async () => {
    portal = await startSignedInPortal('grant-note-admin', 'grant-note-password-1', { ...env });
  }, 120_000);
  afterAll(() => portal?.close());

  it(noted ? 'says the grant stays at OMRON until the participant removes the app' : 'has no such note', async () => {
    const text = await participantPage(portal);
    const note = 'the grant stays at OMRON until the participant removes the app in OMRON connect';
    if (noted) {
      expect(text).toContain('id="grant-stays"');
      expect(text).toContain(note);
    } else {
      expect(text).not.toContain('id="grant-stays"');
      expect(text).not.toContain(note);
    }
  });
});
