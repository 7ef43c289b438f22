import fc from 'fast-check';
import request from 'supertest';
import { lockChangeSequence, MEASUREMENT_KIND_NAMES, NEXT_CHANGE_SEQ, type MeasurementKind } from '@opendsp/measurements';
import type { ProgramGroup } from '@opendsp/groups';
import type { Participant } from '@opendsp/participants';
import { startApiStack, writeReadings, type ApiStack, type ReadingInput } from './support/api-stack.js';
import { itOnServer } from './support/test-database.js';

interface FeedReading {
  kind: MeasurementKind;
  ogscId: string;
  upstreamId: string;
  changeSeq: number;
  [field: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('change feed', () => {
  let stack: ApiStack;
  let token: string;

  beforeAll(async () => {
    stack = await startApiStack({ API_RATE_LIMIT_PER_MINUTE: '100000' });
    const { clientId, secret } = await stack.client(['measurements:read'], 'all');
    token = await stack.token(clientId, secret);
  });
  afterAll(() => stack?.close());

  async function page(query: Record<string, string | number>): Promise<{ data: FeedReading[]; nextSince: number; hasMore: boolean }> {
    const res = await request(stack.server).get('/api/v1/changes').query(query).auth(token, { type: 'bearer' });
    if (res.status !== 200) throw new Error(`change feed answered ${res.status}: ${res.text}`);
    return res.body;
  }

  async function drain(group: ProgramGroup, since: number, limit: number): Promise<{ readings: FeedReading[]; since: number }> {
    const readings: FeedReading[] = [];
    for (;;) {
      const next = await page({ groupId: group.groupId, since, limit });
      readings.push(...next.data);
      since = next.nextSince;
      if (!next.hasMore) return { readings, since };
    }
  }

  itOnServer('returns every committed reading exactly once, in order, while writers commit concurrently (property)', async () => {
    const batch = fc.record({
      readings: fc.array(
        fc.record({ kind: fc.constantFrom(...MEASUREMENT_KIND_NAMES), participant: fc.nat(2), upstream: fc.integer({ min: 1, max: 40 }) }),
        { minLength: 1, maxLength: 8 },
      ),
      delayMs: fc.integer({ min: 0, max: 15 }),
      holdMs: fc.integer({ min: 0, max: 25 }),
      rollback: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
    });
    const scenario = fc.record({
      writers: fc.array(fc.array(batch, { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 5 }),
      pageSize: fc.integer({ min: 1, max: 20 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ writers, pageSize }) => {
        run++;
        const group = await stack.group(`Feed run ${run}`);
        const participants: Participant[] = [];
        for (let i = 0; i < 3; i++) participants.push(await stack.participant([group]));
        const committed = new Set<number>();
        let writing = true;

        const writes = Promise.all(
          writers.map(async (batches) => {
            for (const { readings, delayMs, holdMs, rollback } of batches) {
              await sleep(delayMs);
              const inputs: ReadingInput[] = readings.map((reading) => ({
                kind: reading.kind,
                participantId: participants[reading.participant].id,
                upstreamId: reading.upstream,
                measuredAt: new Date(Date.UTC(2026, 10, 1) + reading.upstream * 3_600_000),
              }));
              const { changeSeqs } = await writeReadings(stack.orm.em, inputs, { holdMs, rollback });
              for (const seq of changeSeqs) committed.add(Number(seq));
            }
          }),
        ).finally(() => (writing = false));

        // The reader pages as fast as it can while the writers run, then drains what is left.
        const seen: FeedReading[] = [];
        let since = 0;
        while (writing) {
          const next = await page({ groupId: group.groupId, since, limit: pageSize });
          seen.push(...next.data);
          since = next.nextSince;
        }
        await writes;
        seen.push(...(await drain(group, since, pageSize)).readings);

        const seqs = seen.map((reading) => reading.changeSeq);
        // In order, and no change twice.
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(seqs.length);
        // Nothing that was rolled back; nothing of anyone else.
        expect(seqs.filter((seq) => !committed.has(seq))).toEqual([]);
        expect(seen.filter((reading) => !participants.some((participant) => participant.ogscId === reading.ogscId))).toEqual([]);
        // Every reading's latest version was delivered: the reader skipped nothing.
        const rows = await stack.sql<{ kind: string; ogsc_id: string; upstream_id: string; change_seq: string }>(
          MEASUREMENT_KIND_NAMES.map(
            (kind) =>
              `select '${kind}' as kind, p.ogsc_id, r.upstream_id::text, r.change_seq::text from ${kind === 'blood_pressure' ? 'blood_pressure_reading' : `${kind}_reading`} r
               join participant p on p.id = r.participant_id where p.ogsc_id = any($1)`,
          ).join(' union all '),
          [participants.map((participant) => participant.ogscId)],
        );
        const delivered = new Set(seen.map((reading) => `${reading.kind}/${reading.ogscId}/${reading.upstreamId}@${reading.changeSeq}`));
        const missing = rows.filter((row) => !delivered.has(`${row.kind}/${row.ogsc_id}/${row.upstream_id}@${row.change_seq}`));
        expect(missing).toEqual([]);
      }),
      { numRuns: 12 },
    );
  });

  itOnServer('would lose a reading if a writer skipped lockChangeSequence: the check above has teeth', async () => {
    const group = await stack.group('Feed without the lock');
    const participant = await stack.participant([group]);
    const insert = (upstream: number) =>
      `insert into weight_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq, weight_unit)
       values ('${participant.id}', ${upstream}, now(), '2026-11-01T00:00:00', 0, 'X', nextval('measurement_change_seq'), 'kg')`;
    let sinceAfterEarly = 0;
    await stack.orm.em.fork().transactional(async (tx) => {
      // This writer draws its number first but commits last, without the lock.
      await tx.getConnection().execute(insert(1), [], 'run', tx.getTransactionContext());
      await stack.sql(insert(2));
      const early = await page({ groupId: group.groupId, since: 0, limit: 10 });
      expect(early.data.map((reading) => reading.upstreamId)).toEqual(['2']);
      sinceAfterEarly = early.nextSince;
    });
    const late = await page({ groupId: group.groupId, since: sinceAfterEarly, limit: 10 });
    expect(late.data).toEqual([]);
    const [row] = await stack.sql<{ change_seq: string }>(
      `select change_seq::text from weight_reading where participant_id = $1 and upstream_id = 1`,
      [participant.id],
    );
    expect(Number(row.change_seq)).toBeLessThan(sinceAfterEarly);
  });

  itOnServer('lets writers commit while another is in flight, and holds back what lies above the one still writing', async () => {
    const group = await stack.group('Feed horizon');
    const participant = await stack.participant([group]);
    const at = new Date('2026-11-05T08:00:00Z');
    const slow = stack.orm.em.fork();
    let slowSeq = '';
    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowHasDrawn!: () => void;
    const drawn = new Promise<void>((resolve) => (slowHasDrawn = resolve));
    const slowWriter = slow.transactional(async (tx) => {
      await lockChangeSequence(tx);
      const [row] = await tx.getConnection().execute<{ change_seq: string }[]>(
        `insert into weight_reading (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq, weight_unit)
           values (?, 1, ?, '2026-11-05T17:00:00', 32400, 'X', ${NEXT_CHANGE_SEQ}, 'kg') returning change_seq`,
        [participant.id, at.toISOString()],
        'all',
        tx.getTransactionContext(),
      );
      slowSeq = row.change_seq;
      slowHasDrawn();
      await slowMayCommit;
    });
    await drawn;
    // A second writer takes the same step and commits while the first is still open: it does not wait for it.
    const fast = await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: participant.id, upstreamId: 2, measuredAt: at },
    ]);
    expect(Number(fast.changeSeqs[0])).toBeGreaterThan(Number(slowSeq));
    // Its reading is committed, but lies above a number still in flight: the feed holds it back for now.
    expect((await page({ groupId: group.groupId, since: 0, limit: 10 })).data).toEqual([]);
    releaseSlow();
    await slowWriter;
    const both = await page({ groupId: group.groupId, since: 0, limit: 10 });
    expect(both.data.map((reading) => [reading.upstreamId, reading.changeSeq])).toEqual([
      ['1', Number(slowSeq)],
      ['2', Number(fast.changeSeqs[0])],
    ]);
  });

  it('hands out a changed reading again with its new values and a new sequence number, and waits at nextSince when idle', async () => {
    const group = await stack.group('Feed changes');
    const participant = await stack.participant([group]);
    const at = new Date('2026-11-02T23:30:00Z');
    await writeReadings(stack.orm.em, [{ kind: 'blood_pressure', participantId: participant.id, upstreamId: 500, measuredAt: at }]);
    const first = await page({ groupId: group.groupId, since: 0, limit: 10 });
    expect(first.data).toHaveLength(1);
    expect(first.hasMore).toBe(false);
    const idle = await page({ groupId: group.groupId, since: first.nextSince, limit: 10 });
    expect(idle).toEqual({ data: [], nextSince: first.nextSince, hasMore: false });

    await stack.sql(`update blood_pressure_reading set systolic_mmhg = 199 where participant_id = $1`, [participant.id]);
    // A direct UPDATE without a new sequence number is invisible to the feed; writers must draw one.
    expect((await page({ groupId: group.groupId, since: first.nextSince, limit: 10 })).data).toEqual([]);
    await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: participant.id, upstreamId: 500, measuredAt: at, deviceType: 'OMRON NEW' },
    ]);
    const again = await page({ groupId: group.groupId, since: first.nextSince, limit: 10 });
    expect(again.data).toEqual([expect.objectContaining({ upstreamId: '500', deviceType: 'OMRON NEW', changeSeq: expect.any(Number) })]);
    expect(again.data[0].changeSeq).toBeGreaterThan(first.data[0].changeSeq);
    expect(again.nextSince).toBe(again.data[0].changeSeq);
  });

  it('filters by kinds, and says hasMore while a full page came back', async () => {
    const group = await stack.group('Feed kinds');
    const participant = await stack.participant([group]);
    const base = Date.UTC(2026, 10, 3);
    await writeReadings(
      stack.orm.em,
      MEASUREMENT_KIND_NAMES.flatMap((kind, k) =>
        [1, 2].map((n) => ({
          kind,
          participantId: participant.id,
          upstreamId: 1000 + k * 10 + n,
          measuredAt: new Date(base + n * 60_000),
        })),
      ),
    );
    const weights = await page({ groupId: group.groupId, since: 0, limit: 10, kinds: 'weight,temperature' });
    expect(weights.data.map((reading) => reading.kind).sort()).toEqual(['temperature', 'temperature', 'weight', 'weight']);
    const small = await page({ groupId: group.groupId, since: 0, limit: 5 });
    expect(small.data).toHaveLength(5);
    expect(small.hasMore).toBe(true);
    const all = await drain(group, 0, 5);
    expect(all.readings).toHaveLength(MEASUREMENT_KIND_NAMES.length * 2);
  });

  it('describes each kind with explicit units, the UTC instant and the local time with its offset', async () => {
    const group = await stack.group('Feed shapes');
    const participant = await stack.participant([group]);
    const at = new Date('2026-11-04T03:04:05Z');
    await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: participant.id, upstreamId: 7, measuredAt: at, utcOffsetSeconds: -19_800 },
      { kind: 'activity', participantId: participant.id, upstreamId: 8, measuredAt: at, utcOffsetSeconds: 0 },
      { kind: 'weight', participantId: participant.id, upstreamId: 9, measuredAt: at },
      { kind: 'temperature', participantId: participant.id, upstreamId: 10, measuredAt: at },
      { kind: 'oxygen', participantId: participant.id, upstreamId: 11, measuredAt: at },
      { kind: 'ecg', participantId: participant.id, upstreamId: 12, measuredAt: at, utcOffsetSeconds: 20_700 },
    ]);
    const { readings } = await drain(group, 0, 100);
    const byKind = Object.fromEntries(readings.map((reading) => [reading.kind, reading]));
    const common = { ogscId: participant.ogscId, measuredAt: '2026-11-04T03:04:05.000Z', deviceType: 'OMRON TEST-1' };
    expect(byKind.blood_pressure).toEqual({
      ...common,
      kind: 'blood_pressure',
      upstreamId: '7',
      changeSeq: expect.any(Number),
      measuredAtLocal: '2026-11-03T21:34:05-05:30',
      utcOffsetSeconds: -19_800,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.stringMatching(/Z$/),
      systolicMmhg: 117,
      diastolicMmhg: 77,
      pulseBpm: 67,
      possibleAfib: true,
    });
    expect(byKind.activity).toMatchObject({
      measuredAtLocal: '2026-11-04T03:04:05+00:00',
      steps: 1008,
      distanceKm: 1.5,
      distanceUnit: 'km',
      // Whole counts: nothing kept beside them (a fraction would be, issue 15).
      stepsOriginal: null,
      aerobicStepsOriginal: null,
      caloriesOriginal: null,
      hourly: [
        { hour: 0, steps: 100, aerobicSteps: 0, caloriesKcal: 10, distanceOriginal: 0.1 },
        { hour: 1, steps: 101, aerobicSteps: 1, caloriesKcal: 10, distanceOriginal: 0.1 },
        { hour: 2, steps: 102, aerobicSteps: 2, caloriesKcal: 10, distanceOriginal: 0.1 },
      ],
    });
    expect(byKind.weight).toMatchObject({
      measuredAtLocal: '2026-11-04T12:04:05+09:00',
      weightKg: 60.9,
      weightUnit: 'kg',
      bodyFatPercent: null,
      upstreamIdExt: null,
    });
    expect(byKind.temperature).toMatchObject({ temperatureC: 36.5, temperatureOriginal: 97.7, temperatureUnit: '°F' });
    expect(byKind.oxygen).toMatchObject({ spo2Percent: 97, pulseBpm: 64 });
    expect(byKind.ecg).toMatchObject({
      measuredAtLocal: '2026-11-04T08:49:05+05:45',
      heartRateBpm: 66,
      samplingRateHz: 250,
      waveformUv: [0, 12, -4],
    });
  });
});
