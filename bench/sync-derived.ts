// Issue 21 item 4's goal as the issue states it: what alerts and adherence together add to the sync's write cost.
// The same blood-pressure pages written by the sync's own page transaction (libs/sync's PulledPageWriter, which
// SyncPuller runs for every page: the participant's consented enrollment locked, lockChangeSequence with the raw
// page's insert in its round trip, ReadingWriter, the ledger's cursor moved under the pull's token, commit), through
// a writer without readings-landed listeners (the baseline) and through one with both derived rooms' listeners as
// their modules register them (libs/alerts' AlertRaising with every rule on in 40 groups, as bench/sync-alerts.ts
// sets them up; libs/insights' ReadingDays), in the same run on the same database, interleaved (who goes first
// alternates) so both sides meet the same state of the machine.
//
// Every page is written inside a whole pull as the sync writes it, with the sync's own code: libs/sync's PullLedger
// `begin` (the short transaction that agrees the window with sync_ledger, reads the newest stored reading's local
// time and stores a new pull token; a participant's first one also makes the ledger row, which in the sync the
// scheduling has made already), the pull's pages through PulledPageWriter under that token, then PullLedger `finish` (the
// transaction that closes the pull in the ledger and resolves dead letters). One pull's cost is those three parts
// together, spread over its pages, so a figure per page is a pull's database work per page. A page's raw answer is
// an OMRON blood-pressure answer made from its rows (`omronAnswer`), gzipped at level 1 as SyncPuller's fetch does,
// before the pull's time starts (the sync compresses a page while the one before it is written). A pull's pages move
// the cursor to the next key (the page's last reading time, as OMRON's keys are), its last page to none. Pages are
// written as given, whatever window `begin` agrees (after a participant's first pull it finds readings stored and
// plans an incremental one).
//
// - backfill: a pull of a new participant's whole history, `pages per backfill` pages of 1,000 readings two a day
//   (500 local days a page), written in the background lane (the fresh lane does the same work since the listeners
//   stopped deferring to a pull's end; the case that compared the two is gone).
// - live: a notification's pull, one page of 2 readings (morning and evening, one local day), fresh lane; the pulls
//   go round 100 participants a side, a day further each round, as a fleet's notifications come from many people
//   (one participant a side took every live pull before, so one month row a side took every increment).
// Each overhead comes with a 95 % interval from the run's own pairs (`pairedOverheadInterval`: the turns drawn again
// with replacement), so one run says how far its figure may be from what more pulls would give. The default sizes
// (480 backfills and 5,000 live pulls a side, about two minutes) keep that interval within about 1.5 points either
// way for a live pull and 2 to 3 for a backfill on the development machine (with 2,000 live pulls it was 2.3). The
// median pull is printed too, as the figure a slow flush of the disk moves least. Runs still differ from each other
// by more than one run's interval (each has a database of its own, its rows laid out afresh; one of eight single
// runs on 7 December gave a live pull +10.2 % where the eight averaged +8.3 %), so `runs` repeats the whole
// measurement and judges the goal on the runs' mean and its interval by Student's t over the runs' figures: run
// five for the goal (about ten minutes).
// The begin and finish are the same work on both sides (no listener runs in them); the derived side's time in them
// is printed per case. Runs before this counted a backfill's pages and a stand-in for its end, and a live page
// alone: their ms/page and overheads do not compare with these.
//
// About one reading in nine crosses the crisis line and one in 97 is flagged possible AFib, so alerts read the
// rules, find the groups and raise (the first pages) or find their alerts open (later ones).
//
//   npm run bench -- sync-derived [backfills per side=480] [pages per backfill=2] [live pages per side=5000] [runs=1]
//   (needs DATABASE_URL)
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { AlertLabels, AlertRaising } from '@opendsp/alerts';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import { ReadingDays } from '@opendsp/insights';
import { ReadingsLanded, ReadingsRepository, type LandingLane, type ReadingsLandedListener } from '@opendsp/measurements';
import type { BloodPressureMeasurement, MeasurementResult } from '@opendsp/omron-api';
import { ConsentedParticipants, Enrollment, Participant, ParticipantReadingsPort } from '@opendsp/participants';
import { PulledPageWriter, PullLedger, ReadingWriter, type FetchedPage } from '@opendsp/sync';
import { createTestDatabase } from '../test/support/test-database.js';
import { testDspEnv } from '../test/support/test-environment.js';
import { enableEveryAlertRule } from './support/every-alert-rule.js';
import { meanInterval, pairedOverheadInterval, percentile } from './support/report.js';

const BACKFILLS = Number(process.argv[2] ?? 480);
const BACKFILL_PAGES = Number(process.argv[3] ?? 2);
const LIVE_PAGES = Number(process.argv[4] ?? 5000);
const RUNS = Number(process.argv[5] ?? 1);
const BACKFILL_PAGE_SIZE = 1000;
const LIVE_PAGE_SIZE = 2;
const LIVE_PARTICIPANTS = 100;
const GROUPS = 40;
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(2);
}

/**
 * `size` blood-pressure readings from the `first`-th on, two a day (07:00 and 19:00 in Tokyo), as normalise.rules.ts
 * makes them; systolic 100 to 189 (about one in nine at or over 180), every 97th flagged possible AFib.
 */
function bloodPressure(first: number, size: number): Record<string, unknown>[] {
  const start = Date.UTC(2020, 0, 1, 22);
  return Array.from({ length: size }, (_, index) => {
    const n = first + index;
    const at = new Date(start + n * 43_200_000);
    return {
      upstream_id: String(n + 1),
      measured_at: at.toISOString(),
      local_time: new Date(at.getTime() + 32_400_000).toISOString().slice(0, 19),
      utc_offset_seconds: 32_400,
      device_type: 'OMRON HEM-7600T',
      systolic_mmhg: 100 + (n % 90),
      diastolic_mmhg: 60 + (n % 40),
      pulse_bpm: 50 + (n % 50),
      possible_afib: n % 97 === 0,
    };
  });
}

/**
 * The OMRON answer (`result`) a page of `bloodPressure` rows came from, field for field as the Partner API sends
 * them, with `nextKey` as the type's pagination key.
 */
function omronAnswer(rows: Record<string, unknown>[], nextKey: string | null): MeasurementResult {
  const bloodPressure = rows.map((row): BloodPressureMeasurement => {
    const entry: BloodPressureMeasurement = {
      id: Number(row.upstream_id),
      dateTime: (row.measured_at as string).slice(0, 19),
      dateTimeLocal: row.local_time as string,
      dateTimeUtcOffset: '+09:00',
      systolic: row.systolic_mmhg as number,
      diastolic: row.diastolic_mmhg as number,
      bloodPressureUnits: 'mmHg',
      pulse: row.pulse_bpm as number,
      pulseUnits: 'bpm',
      deviceType: row.device_type as string,
    };
    return row.possible_afib ? { ...entry, possibleAfib: true } : entry;
  });
  return {
    bloodPressure,
    paginationKey: { bloodpressurePaginationKey: nextKey === null ? null : Number(nextKey) },
    truncated: false,
    measurementCount: bloodPressure.length,
  };
}

/** zlib's gzip on libuv's thread pool at the level SyncPuller keeps raw pages with (its RAW_PAGE_GZIP_LEVEL). */
const gzip = promisify(gzipCallback);

// Nest's console logger would print each raised alert to this terminal; the app logs through pino.
Logger.overrideLogger(['error', 'warn']);
type Side = 'baseline' | 'derived';

interface Case {
  title: string;
  pages: number;
  baseline: number;
  derived: number;
  /** The listeners' own time outside the writer's composed statement (included in `derived`). */
  alerts: number;
  adherence: number;
  /** Each side's time in the pulls' begin and finish transactions (included in `baseline` and `derived`). */
  ledger: Record<Side, number>;
  /** Each pull's ms, per side. */
  pulls: Record<Side, number[]>;
}

const newCase = (title: string, pages: number): Case => ({
  title,
  pages,
  baseline: 0,
  derived: 0,
  alerts: 0,
  adherence: 0,
  ledger: { baseline: 0, derived: 0 },
  pulls: { baseline: [], derived: [] },
});

/** One run, on a database of its own: both cases, each side's pulls interleaved. */
async function measure(): Promise<Case[]> {
  const database = await createTestDatabase();
  const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url }));
  const orm = await MikroORM.init(dspOrmConfig({ ...database.settings, poolMax: 4 }));
  try {
    const em = orm.em.fork();
    const groups = Array.from({ length: GROUPS }, (_, index) => new ProgramGroup(`Bench group ${index}`));
    // Per side: one participant per backfill, the live pulls' participants, one to warm up.
    const perSide = BACKFILLS + LIVE_PARTICIPANTS + 1;
    const participants = Array.from({ length: 2 * perSide }, () => new Participant('omron_connect'));
    em.persist([...groups, ...participants]);
    participants.forEach((participant, index) => em.persist(new Enrollment(participant, groups[index % GROUPS], 'consented')));
    await em.flush();
    await enableEveryAlertRule(em);

    const readings = new ReadingsRepository();
    const ledger = new PullLedger(orm.em, readings);
    const plain = new ReadingWriter(readings, new ConsentedParticipants(), new ReadingsLanded());
    const landed = new ReadingsLanded();
    const raising = new AlertRaising(new AlertLabels(new ConsentedParticipants(), config), config);
    // As AlertsModule and InsightsModule register them (alerts first, as DspModule imports them), each timed.
    const spent = { alerts: 0, adherence: 0 };
    // A listener's time: its own statements and JS, and its statements' follow-ups (`onRows`, e.g. raising alerts); its
    // statements' share of the writer's composed round trip is not separable and is not in it.
    const timedBy =
      (room: keyof typeof spent, work: ReadingsLandedListener): ReadingsLandedListener =>
      async (tx, page) => {
        const started = performance.now();
        const returned = await work(tx, page);
        spent[room] += performance.now() - started;
        if (!returned) return;
        return returned.map((statement) =>
          statement.onRows
            ? {
                ...statement,
                onRows: async (rows: Record<string, unknown>[]) => {
                  const thenStarted = performance.now();
                  await statement.onRows!(rows);
                  spent[room] += performance.now() - thenStarted;
                },
              }
            : statement,
        );
      };
    landed.listen(
      'alerts',
      timedBy('alerts', (tx, page) => raising.onLanded(tx, page)),
    );
    const readingDays = new ReadingDays(landed, readings, new ParticipantReadingsPort());
    landed.listen(
      'insights.reading-days',
      timedBy('adherence', (tx, page) => readingDays.pageLanded(tx, page)),
    );
    const derived = new ReadingWriter(readings, new ConsentedParticipants(), landed);

    const pageWriters = {
      baseline: new PulledPageWriter(orm.em, plain, new ConsentedParticipants()),
      derived: new PulledPageWriter(orm.em, derived, new ConsentedParticipants()),
    };

    const participantOf = (side: Side, index: number) => participants[(side === 'baseline' ? 0 : perSide) + index].id;
    /** A pull's page, as SyncPuller fetches it: the rows, OMRON's next key (null: the pull's last page), the raw answer. */
    const fetched = async (rows: Record<string, unknown>[], last: boolean): Promise<FetchedPage> => {
      const nextKey = last ? null : String(Date.parse(rows.at(-1)!.measured_at as string));
      const raw = await gzip(JSON.stringify(omronAnswer(rows, nextKey)), { level: 1 });
      return { rows: rows as FetchedPage['rows'], nextKey, raw };
    };
    /**
     * One pull of `pages` (each a page's rows) through the sync's ledger and page transactions: begin, the pages under
     * its token, finish. The raw answers are compressed before; returns the pull's ms and the ms of its begin and finish.
     */
    const pull = async (side: Side, participantId: string, pages: Record<string, unknown>[][], lane: LandingLane) => {
      const fetchedPages = await Promise.all(pages.map((rows, index) => fetched(rows, index === pages.length - 1)));
      let started = performance.now();
      const plan = await ledger.begin(participantId, 'blood_pressure');
      let ledgerMs = performance.now() - started;
      started = performance.now();
      for (const page of fetchedPages) await pageWriters[side].write(participantId, 'blood_pressure', plan.token, page, page.nextKey, lane);
      const pagesMs = performance.now() - started;
      started = performance.now();
      await ledger.finish(participantId, 'blood_pressure', plan.token, null);
      ledgerMs += performance.now() - started;
      return { total: pagesMs + ledgerMs, ledger: ledgerMs };
    };
    const backfillPages = (count: number) =>
      Array.from({ length: count }, (_, page) => bloodPressure(page * BACKFILL_PAGE_SIZE, BACKFILL_PAGE_SIZE));

    // Warm up both sides (connections, plans, caches) on participants of their own, untimed: a backfill, then live pulls.
    const warm = BACKFILLS + LIVE_PARTICIPANTS;
    for (const side of ['baseline', 'derived'] as const) {
      await pull(side, participantOf(side, warm), backfillPages(3), 'background');
      for (let page = 0; page < 3; page++) {
        await pull(side, participantOf(side, warm), [bloodPressure(10_000 + page * 2, LIVE_PAGE_SIZE)], 'fresh');
      }
    }

    const order = (turn: number): Side[] => (turn % 2 === 0 ? ['baseline', 'derived'] : ['derived', 'baseline']);
    const backfill = newCase(
      `backfill pages (${BACKFILL_PAGE_SIZE.toLocaleString('en-US')} readings, ${BACKFILL_PAGE_SIZE / 2} days; ${BACKFILL_PAGES} a pull, background lane, the pull's begin and finish included)`,
      BACKFILLS * BACKFILL_PAGES,
    );
    const beforeBackfills = { ...spent };
    for (let index = 0; index < BACKFILLS; index++) {
      for (const side of order(index)) {
        const { total, ledger: ledgerMs } = await pull(side, participantOf(side, index), backfillPages(BACKFILL_PAGES), 'background');
        backfill[side] += total;
        backfill.pulls[side].push(total);
        backfill.ledger[side] += ledgerMs;
      }
    }
    backfill.alerts = spent.alerts - beforeBackfills.alerts;
    backfill.adherence = spent.adherence - beforeBackfills.adherence;
    const live = newCase(
      `live pages (${LIVE_PAGE_SIZE} readings, 1 day; a pull each, fresh lane, its begin and finish included)`,
      LIVE_PAGES,
    );
    // Each live participant's first pull (it makes their ledger row), untimed; then a day's readings each in turn.
    const liveParticipant = (side: Side, page: number) => participantOf(side, BACKFILLS + (page % LIVE_PARTICIPANTS));
    for (let page = 0; page < LIVE_PARTICIPANTS; page++)
      for (const side of order(page)) await pull(side, liveParticipant(side, page), [bloodPressure(0, LIVE_PAGE_SIZE)], 'fresh');
    const beforeLive = { ...spent };
    for (let page = 0; page < LIVE_PAGES; page++) {
      const rows = bloodPressure((1 + Math.floor(page / LIVE_PARTICIPANTS)) * LIVE_PAGE_SIZE, LIVE_PAGE_SIZE);
      for (const side of order(page)) {
        const { total, ledger: ledgerMs } = await pull(side, liveParticipant(side, page), [rows], 'fresh');
        live[side] += total;
        live.pulls[side].push(total);
        live.ledger[side] += ledgerMs;
      }
    }
    live.alerts = spent.alerts - beforeLive.alerts;
    live.adherence = spent.adherence - beforeLive.adherence;

    const [counts] = await orm.em.fork().execute<{ alerts: number; deliveries: number; months: number; days: number }[]>(
      `select (select count(*)::int from alert) as alerts, (select count(*)::int from webhook_delivery) as deliveries,
            (select count(*)::int from participant_reading_month) as months,
            (select coalesce(sum(bit_count(days::bit(32))), 0)::int from participant_reading_month) as days`,
    );
    console.log(
      `${GROUPS} groups with every alert rule on; ${counts.alerts} alerts raised, ${counts.deliveries} webhook deliveries queued; ` +
        `${counts.months.toLocaleString('en-US')} summary rows (months) holding ${counts.days.toLocaleString('en-US')} counted days`,
    );
    return [backfill, live];
  } finally {
    await orm.close(true);
    await database.drop();
  }
}

const overhead = (c: Case) => ((c.derived - c.baseline) / c.baseline) * 100;
/** The same without the pulls' begin and finish: the page transactions alone. */
const pagesOverhead = (c: Case) =>
  ((c.derived - c.ledger.derived - (c.baseline - c.ledger.baseline)) / (c.baseline - c.ledger.baseline)) * 100;
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} %`;

const runs: Case[][] = [];
for (let run = 1; run <= RUNS; run++) {
  if (RUNS > 1) console.log(`\n=== run ${run} of ${RUNS}`);
  const cases = await measure();
  runs.push(cases);
  for (const c of cases) {
    console.log(`\n${c.title}, ${c.pages} pages per side:`);
    console.log(`  without listeners:        ${(c.baseline / c.pages).toFixed(2)} ms/page`);
    console.log(
      `  with alerts and adherence: ${(c.derived / c.pages).toFixed(2)} ms/page` +
        ` (of which the pulls' begin and finish ${(c.ledger.derived / c.pages).toFixed(2)} ms/page, ${(c.ledger.baseline / c.pages).toFixed(2)} without)`,
    );
    console.log(
      `  the listeners' own time (outside the composed round trip): alerts ${(c.alerts / c.pages).toFixed(2)} ms/page, adherence ${(c.adherence / c.pages).toFixed(2)} ms/page`,
    );
    const [low, high] = pairedOverheadInterval(c.pulls.baseline, c.pulls.derived).map((value) => value * 100);
    console.log(
      `  overhead: ${signed(overhead(c))}, 95 % interval of this run ${signed(low)} to ${signed(high)} (the page transactions alone: ${signed(pagesOverhead(c))})`,
    );
    const [baseline, derived] = [median(c.pulls.baseline), median(c.pulls.derived)];
    console.log(
      `  the median pull: ${baseline.toFixed(2)} ms without listeners, ${derived.toFixed(2)} ms with (${signed(((derived - baseline) / baseline) * 100)}; the figure least moved by the disk's slow flushes)`,
    );
  }
}
// The goal's figure: each case's overhead over the runs. Runs differ by more than one run's interval says (each run
// has a database of its own, laid out afresh), so with several runs the interval is Student's over the runs' figures.
console.log(`\ngoal: alerts and adherence add at most +10 % to a pull (${RUNS} run${RUNS > 1 ? 's' : ''}):`);
for (const [index, name] of ['backfill', 'live'].entries()) {
  const figures = runs.map((cases) => overhead(cases[index]));
  if (RUNS === 1) {
    console.log(`  ${name}: ${signed(figures[0])} (one run: its figure moves by a point or two from run to run; run five for the goal)`);
    continue;
  }
  const [mean, low, high] = meanInterval(figures);
  console.log(`  ${name}: runs ${figures.map(signed).join(', ')}; mean ${signed(mean)}, 95 % interval ${signed(low)} to ${signed(high)}`);
}
