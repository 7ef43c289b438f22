import { installCopy, run, shellEnv, type InstallCopy } from './support/install-copy.js';
import { startSyncStack, type SyncStack } from './support/sync-stack.js';
import { testDspEnv } from './support/test-environment.js';

/**
 * Issue 15: `npm run sync:renormalise` reads the kept raw pages again, for one participant or with `--all` for
 * every participant, without calling OMRON. The command itself runs here, as an operator runs it, in a private
 * checkout against the test database.
 */
describe('npm run sync:renormalise (the CLI)', () => {
  let stack: SyncStack;
  let install: InstallCopy;

  beforeAll(async () => {
    [stack, install] = await Promise.all([startSyncStack({}, { SYNC_PAGE_SIZE: '20' }), installCopy()]);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await install?.remove();
  });

  function renormalise(args: string) {
    return run(
      `npm run --silent sync:renormalise -- ${args}`,
      install.dir,
      shellEnv(testDspEnv({ NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: stack.database.settings.url })),
    );
  }

  it("restores every participant's readings of the kinds named, from the kept pages alone, with --all", async () => {
    const users = [await stack.enroll('cli-replay-1@sandbox.test'), await stack.enroll('cli-replay-2@sandbox.test')];
    for (const [index, user] of users.entries()) {
      await stack.generate(user.sandboxUserId, { from: '2025-01-01', to: '2025-06-30', seed: 20 + index, type: 'weight', count: 30 });
    }
    await stack.waitForIdle(60_000);
    const stored = await Promise.all(users.map((user) => stack.stored(user.participantId, 'weight')));
    expect(stored.map((readings) => readings.length)).toEqual([30, 30]);

    // As if a parser bug had lost them.
    await stack.sql(`delete from weight_reading where participant_id = any($1::uuid[])`, [users.map((user) => user.participantId)]);
    const observed = stack.observeMeasurements();
    let command;
    try {
      command = renormalise('--all weight');
      expect([await command.exit, command.output()]).toEqual([0, expect.stringContaining('2 participants:')]);
    } finally {
      observed.stop();
    }
    expect(command.output()).toContain('60 inserted or changed, 0 still unreadable.');
    expect(observed.requests).toEqual([]);
    expect(await Promise.all(users.map((user) => stack.stored(user.participantId, 'weight')))).toEqual(stored);

    // One participant, named by their ID: read again, nothing left to change. Someone unknown is refused.
    const one = renormalise(`${users[0].participantId} weight`);
    expect([await one.exit, one.output()]).toEqual([
      0,
      expect.stringMatching(/^OG-\w{24}: \d+ pages, 30 readings read again, 0 inserted or changed/m),
    ]);
    const nobody = renormalise('00000000-0000-4000-8000-000000000000 weight');
    expect([await nobody.exit, nobody.output()]).toEqual([
      65,
      expect.stringContaining('No participant 00000000-0000-4000-8000-000000000000.'),
    ]);
  }, 300_000);

  it('refuses an unknown kind or option with its usage', async () => {
    for (const args of ['--all steps', '--every weight']) {
      const command = renormalise(args);
      expect([args, await command.exit]).toEqual([args, 64]);
      expect(command.output()).toContain('--all [');
    }
  }, 300_000);
});
