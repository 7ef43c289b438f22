import { RawPageReplay, SyncScheduling } from '@opendsp/sync';
import { startSyncStack, type SyncStack } from './support/sync-stack.js';

/**
 * Issue 15: OMRON's pagination read tolerantly. A key that comes back, or a key on an empty page, ends that
 * kind's pull with a note in the ledger; it is not a failure and never a dead letter.
 */
describe('measurement pulls against an upstream whose pagination misbehaves', () => {
  let stack: SyncStack;

  beforeAll(async () => {
    stack = await startSyncStack({}, { SYNC_PAGE_SIZE: '20', SYNC_JOB_RETRY_LIMIT: '1' });
  }, 120_000);
  afterAll(() => stack?.close());

  async function pullWeight(email: string, rewrite: Parameters<SyncStack['observeMeasurements']>[0]) {
    const user = await stack.enroll(email);
    await stack.generate(user.sandboxUserId, { from: '2025-01-01', to: '2025-06-30', seed: 5, type: 'weight', count: 60 });
    await stack.waitForIdle(60_000);
    await stack.sql(`delete from weight_reading where participant_id = $1`, [user.participantId]);
    const observed = stack.observeMeasurements(rewrite);
    try {
      await stack.platform.get(SyncScheduling).requestPulls([{ participantId: user.participantId, kind: 'weight', full: true }]);
      await stack.waitForIdle(60_000);
    } finally {
      observed.stop();
    }
    const [ledger] = await stack.sql<{ last_note: string | null; last_error: string | null; succeeded: boolean }>(
      `select last_note, last_error, last_pull_succeeded_at is not null as succeeded from sync_ledger where participant_id = $1 and kind = 'weight'`,
      [user.participantId],
    );
    const dead = await stack.sql(`select id from sync_dead_letter where participant_id = $1`, [user.participantId]);
    const [{ count }] = await stack.sql<{ count: string }>(`select count(*) from weight_reading where participant_id = $1`, [
      user.participantId,
    ]);
    return { ledger, dead, stored: Number(count), requests: observed.requests.length };
  }

  it('ends the pull with a ledger note when a pagination key comes back', async () => {
    let firstKey: unknown;
    const outcome = await pullWeight('repeat@sandbox.test', (_access, response) => {
      // Every page names the first page's key again.
      firstKey ??= response.result.paginationKey.weightPaginationKey;
      return { ...response, result: { ...response.result, paginationKey: { weightPaginationKey: firstKey as number } } };
    });
    expect(outcome.ledger).toMatchObject({ last_error: null, succeeded: true, last_note: expect.stringContaining('came back') });
    expect(outcome.dead).toEqual([]);
    expect(outcome.stored).toBe(40);
    expect(outcome.requests).toBe(2);
  });

  it('ends the pull with a ledger note when a pagination key comes on an empty page', async () => {
    const outcome = await pullWeight('empty@sandbox.test', (_access, response) => ({
      ...response,
      result: { ...response.result, weight: [], measurementCount: 0, paginationKey: { weightPaginationKey: 1_767_225_600_000 } },
    }));
    expect(outcome.ledger).toMatchObject({ last_error: null, succeeded: true, last_note: expect.stringContaining('empty page') });
    expect(outcome.dead).toEqual([]);
    expect(outcome.requests).toBe(1);
  });

  it('keeps the raw pages, compressed, and normalises them again without calling OMRON', async () => {
    const user = await stack.enroll('replay@sandbox.test');
    await stack.generate(user.sandboxUserId, { from: '2025-01-01', to: '2025-06-30', seed: 9, type: 'weight', count: 45 });
    await stack.waitForIdle(60_000);
    const stored = await stack.stored(user.participantId, 'weight');
    expect(stored).toHaveLength(45);
    const pages = await stack.sql<{ kind: string; gzip: boolean }>(
      `select kind, substring(body from 1 for 2) = '\\x1f8b'::bytea as gzip from sync_raw_page where participant_id = $1`,
      [user.participantId],
    );
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((page) => page.kind === 'weight' && page.gzip)).toBe(true);

    // As if a parser bug had lost them: the replay brings every reading back from the kept pages alone.
    await stack.sql(`delete from weight_reading where participant_id = $1`, [user.participantId]);
    const observed = stack.observeMeasurements();
    try {
      const outcome = await stack.platform.get(RawPageReplay).renormalise(user.participantId, ['weight']);
      // Every kept page (incremental pulls re-read the last day, so some readings come twice): the 45 deleted come back.
      expect(outcome.pages).toBeGreaterThanOrEqual(pages.length);
      expect(outcome.readings).toBeGreaterThanOrEqual(45);
      expect(outcome).toMatchObject({ changed: 45, unreadable: 0 });
    } finally {
      observed.stop();
    }
    expect(observed.requests).toEqual([]);
    expect(await stack.stored(user.participantId, 'weight')).toEqual(stored);
    // A second replay changes nothing.
    expect((await stack.platform.get(RawPageReplay).renormalise(user.participantId, ['weight'])).changed).toBe(0);
  });
});
