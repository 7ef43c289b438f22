// What keeping libs/insights' summary by participant and month costs the sync's writes: the same pages of blood-pressure and
// weight readings written the way a pull writes them (one transaction per page: lockChangeSequence,
// ReadingWriter, commit), by a writer without readings-landed listeners (the baseline) and by one with the
// insights listener (ReadingDays: add the page's readings to the participant's months), in the same run on the same
// database, interleaved page by page so neither side gets the warmer cache or the quieter machine. Readings come twice a day (morning and
// evening), so a page of 1,000 touches 500 local days: the listener's worst case for a backfill page.
//
//   npm run bench -- sync-insights [pages of each kind per side=30] [readings per page=1000]   (needs DATABASE_URL)
//   `sync-insights 300 2`: a live notification's page (a morning and an evening reading, one local day).
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { dspOrmConfig } from '@opendsp/database';
import { ReadingDays } from '@opendsp/insights';
import { lockChangeSequence, ReadingsLanded, ReadingsRepository, type MeasurementKind } from '@opendsp/measurements';
import { ConsentedParticipants, Participant, ParticipantReadingsPort } from '@opendsp/participants';
import { ReadingWriter } from '@opendsp/sync';
import { createTestDatabase } from '../test/support/test-database.js';
import { printComparison, timed } from './support/report.js';
import { plainWeightValues } from '../test/support/readings.js';

const PAGES = Number(process.argv[2] ?? 30);
const PAGE_SIZE = Number(process.argv[3] ?? 1000);
const KINDS = ['blood_pressure', 'weight'] as const;
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(2);
}

/** Page `page` of a participant's readings of a kind, two a day (07:00 and 19:00 in Tokyo), as normalise.rules.ts makes them. */
function pageOf(kind: MeasurementKind, page: number): Record<string, unknown>[] {
  const start = Date.UTC(2020, 0, 1, 22);
  return Array.from({ length: PAGE_SIZE }, (_, index) => {
    const n = page * PAGE_SIZE + index;
    const at = new Date(start + n * 43_200_000);
    const common = {
      upstream_id: String(n + 1),
      measured_at: at.toISOString(),
      local_time: new Date(at.getTime() + 32_400_000).toISOString().slice(0, 19),
      utc_offset_seconds: 32_400,
      device_type: 'OMRON HEM-7600T',
    };
    return kind === 'blood_pressure'
      ? { ...common, systolic_mmhg: 100 + (n % 60), diastolic_mmhg: 60 + (n % 40), pulse_bpm: 50 + (n % 50), possible_afib: n % 97 === 0 }
      : {
          ...common,
          ...plainWeightValues(60 + (n % 30) / 10),
        };
  });
}

const database = await createTestDatabase();
const orm = await MikroORM.init(dspOrmConfig({ ...database.settings, poolMax: 4 }));
try {
  const readings = new ReadingsRepository();
  const plain = new ReadingWriter(readings, new ConsentedParticipants(), new ReadingsLanded());
  const landed = new ReadingsLanded();
  const readingDays = new ReadingDays(landed, readings, new ParticipantReadingsPort());
  // The module's listener, timed: how much of the "on" side's time the listener itself took.
  let listenerSeconds = 0;
  landed.listen('insights.reading-days (timed)', async (em, page) => {
    const started = performance.now();
    const statement = await readingDays.pageLanded(em, page);
    listenerSeconds += (performance.now() - started) / 1000;
    return statement;
  });
  const withInsights = new ReadingWriter(readings, new ConsentedParticipants(), landed);

  const [off, on, warm] = Array.from({ length: 3 }, () => new Participant('omron_connect'));
  await orm.em.fork().persist([off, on, warm]).flush();
  const writePage = async (writer: ReadingWriter, participantId: string, kind: MeasurementKind, rows: Record<string, unknown>[]) =>
    orm.em.fork().transactional(async (tx: EntityManager) => {
      await lockChangeSequence(tx);
      await writer.write(tx, participantId, kind, rows as never);
    });
  // Warm up (connections, plans, caches) on a participant of its own, untimed.
  for (let page = 0; page < 3; page++) for (const kind of KINDS) await writePage(withInsights, warm.id, kind, pageOf(kind, page));
  // Page by page, each page written by both writers (to their own participant) one after the other, the order
  // swapped every page: the machine's load drifts, and this way both sides see the same drift.
  let offSeconds = 0;
  let onSeconds = 0;
  const ratios: number[] = [];
  for (let page = 0; page < PAGES; page++) {
    for (const kind of KINDS) {
      const rows = pageOf(kind, page);
      const sides = (page + (kind === 'weight' ? 1 : 0)) % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      const took: Record<string, number> = {};
      for (const side of sides) {
        took[side] = (
          await timed(() => writePage(side === 'off' ? plain : withInsights, side === 'off' ? off.id : on.id, kind, rows))
        ).seconds;
      }
      offSeconds += took.off;
      onSeconds += took.on;
      ratios.push(took.on / took.off);
    }
  }
  const count = PAGES * KINDS.length * PAGE_SIZE;
  const [{ days }] = await orm.em.fork().execute<{ days: string }[]>(`select count(*)::text as days from participant_reading_month`);
  console.log(
    `pages of ${PAGE_SIZE.toLocaleString('en-US')} readings (blood pressure and weight, two a day: ${Math.ceil(PAGE_SIZE / 2)} local days a page), ` +
      `${PAGES * KINDS.length} pages per side, interleaved; summary rows (months) kept: ${Number(days).toLocaleString('en-US')}`,
  );
  printComparison(
    'readings',
    { label: 'writer with the insights listener', count, seconds: onSeconds },
    { label: 'writer without listeners', count, seconds: offSeconds },
  );
  console.log(
    `the listener's own time (its statement rides in the writer's round trip, not in this): ${(listenerSeconds * 1000).toFixed(0)} ms of the ${(onSeconds * 1000).toFixed(0)} ms ` +
      `(${((listenerSeconds / offSeconds) * 100).toFixed(1)} % of the baseline's time)`,
  );
  ratios.sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)];
  console.log(
    `insights overhead on the write path: ${(((onSeconds - offSeconds) / offSeconds) * 100).toFixed(1)} % in total, ` +
      `${((median - 1) * 100).toFixed(1)} % for the median page`,
  );
} finally {
  await orm.close(true);
  await database.drop();
}
