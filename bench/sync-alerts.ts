// What alerts add to the sync's write cost (issue 21 item 4): pages of 1,000 blood-pressure readings written the
// way a pull writes them (one transaction per page: lockChangeSequence, ReadingWriter, commit), by a writer whose
// ReadingsLanded has the alerts room's listener and by one without it (the baseline), in the same run on the same
// database, page for page in turns so both meet the same state of the machine. The rules are realistic: 40 groups
// with every rule on (crisis at 180/120, possible AFib), each participant consented in one of them, and about one
// reading in nine over the line and one in 97 flagged, so every page reads the rules, finds its groups and tries to
// raise (the first pages raise and queue webhook deliveries for an endpoint; later ones meet the open alerts); and
// again with pages where no reading crosses a line (the common page: one statement).
//
//   npm run bench -- sync-alerts [pages per writer and case=100]   (needs DATABASE_URL)
import 'reflect-metadata';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { AlertLabels, AlertRaising } from '@opendsp/alerts';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import { lockChangeSequence, ReadingsLanded, ReadingsRepository } from '@opendsp/measurements';
import { ConsentedParticipants, Enrollment, Participant } from '@opendsp/participants';
import { ReadingWriter } from '@opendsp/sync';
import { createTestDatabase } from '../test/support/test-database.js';
import { testDspEnv } from '../test/support/test-environment.js';
import { bloodPressurePages, PAGE_SIZE } from './support/blood-pressure-pages.js';
import { enableEveryAlertRule } from './support/every-alert-rule.js';
import { printComparison } from './support/report.js';

const PAGES = Number(process.argv[2] ?? 100);
const GROUPS = 40;
/** Pages with readings over the line and flagged (`crossing`), or none (the common page). */
const pagesOf = (first: number, count: number, crossing = true) =>
  bloodPressurePages(first, count, crossing ? { systolicSpread: 90 } : { afibEvery: 0 });
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(2);
}

const database = await createTestDatabase();
const config = loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url }));
const orm = await MikroORM.init(dspOrmConfig({ ...database.settings, poolMax: 4 }));
try {
  const em = orm.em.fork();
  const groups = Array.from({ length: GROUPS }, (_, index) => new ProgramGroup(`Bench group ${index}`));
  const participants = Array.from({ length: 6 }, () => new Participant('omron_connect'));
  em.persist([...groups, ...participants]);
  participants.forEach((participant, index) => em.persist(new Enrollment(participant, groups[index * 7], 'consented')));
  await em.flush();
  await enableEveryAlertRule(em);

  const plain = new ReadingWriter();
  const landed = new ReadingsLanded();
  const raising = new AlertRaising(new AlertLabels(new ConsentedParticipants(), config), config);
  landed.listen('alerts', (tx, page) => raising.onLanded(tx, page));
  const alerting = new ReadingWriter(new ReadingsRepository(), new ConsentedParticipants(), landed);

  const writePage = async (writer: ReadingWriter, participantId: string, rows: Record<string, unknown>[]) => {
    const started = performance.now();
    await orm.em.fork().transactional(async (tx: EntityManager) => {
      await lockChangeSequence(tx);
      await writer.write(tx, participantId, 'blood_pressure', rows as never);
    });
    return (performance.now() - started) / 1000;
  };
  // Warm up both (connections, plans, caches) on participants of their own, untimed.
  for (const rows of pagesOf(1, 5)) {
    await writePage(plain, participants[2].id, rows);
    await writePage(alerting, participants[3].id, rows);
  }
  /** Writes the pages with and without the listener, in turns (who goes first alternates); returns both times. */
  const compare = async (plainId: string, alertingId: string, crossing: boolean) => {
    const baselinePages = pagesOf(1, PAGES, crossing);
    const alertPages = pagesOf(1, PAGES, crossing);
    let baseline = 0;
    let withAlerts = 0;
    for (let page = 0; page < PAGES; page++) {
      if (page % 2 === 0) {
        baseline += await writePage(plain, plainId, baselinePages[page]);
        withAlerts += await writePage(alerting, alertingId, alertPages[page]);
      } else {
        withAlerts += await writePage(alerting, alertingId, alertPages[page]);
        baseline += await writePage(plain, plainId, baselinePages[page]);
      }
    }
    return { baseline, withAlerts };
  };
  const report = (title: string, { baseline, withAlerts }: { baseline: number; withAlerts: number }) => {
    console.log(`\n${title}`);
    printComparison(
      'readings',
      { label: 'writer with the alerts listener', count: PAGES * PAGE_SIZE, seconds: withAlerts },
      { label: 'writer without listeners', count: PAGES * PAGE_SIZE, seconds: baseline },
    );
    console.log(`alerts overhead: ${(((withAlerts - baseline) / baseline) * 100).toFixed(1)}% of the write cost (goal: at most 10%)`);
  };

  const crossing = await compare(participants[0].id, participants[1].id, true);
  const quiet = await compare(participants[4].id, participants[5].id, false);
  const [{ alerts, deliveries }] = await orm.em
    .fork()
    .getConnection()
    .execute<{ alerts: number; deliveries: number }[]>(
      `select (select count(*)::int from alert) as alerts, (select count(*)::int from webhook_delivery) as deliveries`,
    );
  console.log(
    `pages of ${PAGE_SIZE.toLocaleString('en-US')} blood-pressure readings, ${PAGES} per writer and case, one transaction each; ` +
      `${GROUPS} groups with every alert rule on; ${alerts} alerts raised, ${deliveries} webhook deliveries queued`,
  );
  report('pages with readings over the line (the first raise; later ones find their alerts open in the same statement):', crossing);
  report('pages with no reading over the line (one statement per page):', quiet);
} finally {
  await orm.close(true);
  await database.drop();
}
