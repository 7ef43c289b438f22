import { installCopy, run, shellEnv, type InstallCopy } from './support/install-copy.js';
import { malformedMonthsSql, readingDaysSql, summaryDaysSql } from './support/reading-months.js';
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

  it("lands the restored readings through the app's listeners: the month summary counts them, a crisis among them raises its alert", async () => {
    const user = await stack.enroll('cli-replay-bp@sandbox.test');
    const bp = (dateTime: string, systolic: number, diastolic: number) => ({
      type: 'bloodpressure',
      dateTime,
      utcOffsetSeconds: 0,
      systolic,
      diastolic,
      pulse: 70,
    });
    const upload = await stack.sandboxAdmin('POST', `/admin/users/${user.sandboxUserId}/readings`, {
      readings: [
        bp('2025-03-01T08:00:00Z', 124, 78),
        bp('2025-03-01T20:00:00Z', 131, 84),
        bp('2025-03-04T08:00:00Z', 186, 96),
        bp('2025-04-02T08:00:00Z', 118, 76),
      ],
    });
    expect(upload.status).toBe(201);
    await stack.waitForIdle(60_000);
    const summaryDays = () => stack.sql(summaryDaysSql('$1'), [user.participantId]);
    const readingDays = () => stack.sql(readingDaysSql('$1'), [user.participantId]);
    const pulled = await readingDays();
    expect(pulled.map((day) => [day.day, day.bp_readings])).toEqual([
      ['2025-03-01', 2],
      ['2025-03-04', 1],
      ['2025-04-02', 1],
    ]);
    expect(await summaryDays()).toEqual(pulled);

    // As a parser bug that lost the readings would have left it: none stored, none in the month summary, no alert
    // (the group's crisis line was switched on since).
    await stack.sql(`delete from blood_pressure_reading where participant_id = $1`, [user.participantId]);
    await stack.sql(`delete from participant_reading_month where participant_id = $1`, [user.participantId]);
    await stack.sql(
      `insert into alert_rule_set (group_id, bp_crisis_enabled, updated_at)
       select group_id, true, now() from enrollment where participant_id = $1`,
      [user.participantId],
    );
    expect([await readingDays(), await summaryDays()]).toEqual([[], []]);
    const alerts = () =>
      stack.sql(`select rule, status, reading_id::text, detail from alert where participant_id = $1 order by raised_at`, [
        user.participantId,
      ]);
    expect(await alerts()).toEqual([]);

    // Nothing but the command writes them back: no pull meanwhile (it would land through the platform's listeners).
    const observed = stack.observeMeasurements();
    let command;
    try {
      command = renormalise(`${user.participantId} blood_pressure`);
      expect([await command.exit, command.output()]).toEqual([
        0,
        expect.stringMatching(/^OG-\w{24}: \d+ pages, 4 readings read again, 4 inserted or changed, 0 still unreadable\.$/m),
      ]);
    } finally {
      observed.stop();
    }
    expect(observed.requests).toEqual([]);
    // The summary counts exactly the restored readings' days, as it did after the pull.
    expect(await readingDays()).toEqual(pulled);
    expect(await stack.sql(malformedMonthsSql('$1'), [user.participantId])).toEqual([]);
    expect(await summaryDays()).toEqual(pulled);
    // Raised by the command, for the restored crisis reading.
    const [crisis] = await stack.sql<{ id: string }>(
      `select id::text from blood_pressure_reading where participant_id = $1 and systolic_mmhg = 186`,
      [user.participantId],
    );
    expect(await alerts()).toEqual([
      {
        rule: 'bp_crisis',
        status: 'open',
        reading_id: crisis.id,
        detail: { systolic_mmhg: 186, diastolic_mmhg: 96, systolic_at_least: 180, diastolic_at_least: 120 },
      },
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
