import pg from 'pg';
import { MeasurementFormatError, SyncPuller } from '@opendsp/sync';
import type { BloodPressureMeasurement } from '@opendsp/omron-api';
import { startSyncStack, type EnrolledParticipant, type SyncStack } from './support/sync-stack.js';
import { itOnServer } from './support/test-database.js';

const PAGE_SIZE = 500;

describe(`${SyncPuller.name} fetching one page ahead`, () => {
  let stack: SyncStack;
  let users = 0;

  beforeAll(async () => {
    stack = await startSyncStack({}, { SYNC_PAGE_SIZE: String(PAGE_SIZE) });
  }, 120_000);
  afterAll(() => stack?.close());

  /** A participant with 1,400 blood pressure readings (three pages), loaded before they authorise, so no notification pulls them. */
  async function participantWithThreePages(): Promise<EnrolledParticipant> {
    const email = `prefetch-${++users}@sandbox.test`;
    const sandboxUser = await stack.sandbox.user(email);
    const loaded = await stack.sandboxAdmin('POST', `/admin/users/${sandboxUser.id}/readings/generate`, {
      type: 'bloodpressure',
      from: '2025-01-01',
      to: '2026-06-30',
      count: 1400,
      seed: 40 + users,
    });
    expect(loaded.ok).toBe(true);
    return stack.enroll(email);
  }

  const storedCount = async (user: EnrolledParticipant): Promise<number> =>
    Number(
      (
        await stack.sql<{ n: string }>(`select count(*) as n from blood_pressure_reading where participant_id = $1`, [user.participantId])
      )[0].n,
    );

  const ledger = async (user: EnrolledParticipant) =>
    (
      await stack.sql<{ pull_pages: number; pull_cursor: string | null; raw_pages: number }>(
        `select pull_pages, pull_cursor::text as pull_cursor,
           (select count(*)::int from sync_raw_page r where r.participant_id = l.participant_id and r.kind = l.kind) as raw_pages
         from sync_ledger l where participant_id = $1 and kind = 'blood_pressure'`,
        [user.participantId],
      )
    )[0];

  async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const expectGroundTruth = async (user: EnrolledParticipant) =>
    expect(await stack.stored(user.participantId, 'blood_pressure')).toEqual(await stack.groundTruth(user.sandboxUserId, 'blood_pressure'));

  // These two watch the page ahead being asked for while a page is written. On the embedded database the sandbox
  // answers from the platform's one session, which the write holds, so the request comes only after it: server only.
  itOnServer(
    'asks OMRON for the next page while the current one waits to be written, and only one page ahead',
    async () => {
      const user = await participantWithThreePages();
      const observed = stack.observeMeasurements();
      // Hold the participant row as a withdrawal does: the first page’s write waits for it, the fetches do not (nor the
      // ledger’s foreign key checks, which take only a key share).
      const blocker = new pg.Client({ connectionString: stack.database.settings.url });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query(`select 1 from participant where id = $1 for no key update`, [user.participantId]);
        const pulling = stack.platform.get(SyncPuller).pull(user.participantId, 'blood_pressure');
        await until(() => observed.requests.length >= 2, 'the second page to be asked for');
        await until(
          async () =>
            (
              await stack.sql(
                `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%for share%'`,
              )
            ).length > 0,
          'the first page’s write to wait for the participant row',
        );
        expect(observed.requests).toHaveLength(2);
        expect(await storedCount(user)).toBe(0);
        expect((await ledger(user)).pull_pages).toBe(0);
        await blocker.query('rollback');
        expect(await pulling).toEqual({ status: 'completed', pages: 3, readings: 1400, changed: 1400 });
      } finally {
        await blocker.end();
        observed.stop();
      }
      // Each page asked for once, each after the key of the one before.
      expect(observed.requests).toHaveLength(3);
      expect(observed.requests[0].query.after).toEqual({});
      expect(new Set(observed.requests.map((request) => request.query.after.bloodpressure)).size).toBe(3);
      await expectGroundTruth(user);
      expect(await ledger(user)).toMatchObject({ pull_pages: 0, pull_cursor: null, raw_pages: 3 });
    },
    120_000,
  );

  itOnServer(
    'stops after the page being written: the page fetched ahead is dropped and asked for again on resuming',
    async () => {
      const user = await participantWithThreePages();
      const observed = stack.observeMeasurements();
      try {
        let checks = 0;
        // Not before the first page; after it is written, stop (the process is shutting down).
        const outcome = await stack.platform.get(SyncPuller).pull(user.participantId, 'blood_pressure', { shouldStop: () => checks++ > 0 });
        expect(outcome).toEqual({ status: 'interrupted' });
        expect(await storedCount(user)).toBe(PAGE_SIZE);
        const stopped = await ledger(user);
        expect(stopped).toMatchObject({ pull_pages: 1, raw_pages: 1 });
        expect(stopped.pull_cursor).not.toBeNull();
        expect(observed.requests).toHaveLength(2);

        expect(await stack.platform.get(SyncPuller).pull(user.participantId, 'blood_pressure')).toMatchObject({
          status: 'completed',
          pages: 2,
        });
        // Resumed at the cursor: the page that was fetched ahead is asked for again, then the last one.
        expect(observed.requests).toHaveLength(4);
        expect(observed.requests[2].query.after).toEqual(observed.requests[1].query.after);
      } finally {
        observed.stop();
      }
      await expectGroundTruth(user);
      expect(await ledger(user)).toMatchObject({ pull_pages: 0, pull_cursor: null, raw_pages: 3 });
    },
    120_000,
  );

  it('fails on a page ahead that cannot be read only after the page before it is stored, and resumes there', async () => {
    const user = await participantWithThreePages();
    let answers = 0;
    // The second answer carries a reading in a unit the platform refuses.
    const observed = stack.observeMeasurements((_access, response) => {
      if (++answers !== 2) return response;
      const [first, ...rest] = response.result.bloodPressure!;
      const refused = { ...first, bloodPressureUnits: 'kPa' } as unknown as BloodPressureMeasurement;
      return { ...response, result: { ...response.result, bloodPressure: [refused, ...rest] } };
    });
    try {
      await expect(stack.platform.get(SyncPuller).pull(user.participantId, 'blood_pressure')).rejects.toBeInstanceOf(
        MeasurementFormatError,
      );
      expect(await storedCount(user)).toBe(PAGE_SIZE);
      expect(await ledger(user)).toMatchObject({ pull_pages: 1, raw_pages: 1 });
      expect(observed.requests).toHaveLength(2);
      expect(await stack.platform.get(SyncPuller).pull(user.participantId, 'blood_pressure')).toMatchObject({
        status: 'completed',
        pages: 2,
      });
      expect(observed.requests[2].query.after).toEqual(observed.requests[1].query.after);
    } finally {
      observed.stop();
    }
    await expectGroundTruth(user);
  }, 120_000);
});
