// What the change-sequence lock costs when several pulls write at once: pages of 1,000 blood-pressure readings
// written the way a pull writes them (one transaction per page: lockChangeSequence, ReadingWriter, commit), first by
// one writer alone (the baseline), then by two writers at once, each its own participant on its own connection,
// in the same run on the same database. With a lock that lets one page be written at a time, two writers cannot
// beat one (about 1.0×); with writers that do not wait for each other, they can, as far as the cores allow.
//
//   npm run bench -- sync-writers [pages per writer=40]   (needs DATABASE_URL)
import 'reflect-metadata';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { dspOrmConfig } from '@opendsp/database';
import { lockChangeSequence } from '@opendsp/measurements';
import { Participant } from '@opendsp/participants';
import { ReadingWriter } from '@opendsp/sync';
import { createTestDatabase } from '../test/support/test-database.js';
import { bloodPressurePages as pagesOf, PAGE_SIZE } from './support/blood-pressure-pages.js';
import { printComparison, timed } from './support/report.js';

const PAGES = Number(process.argv[2] ?? 40);
if (!process.env.DATABASE_URL) {
  console.error('Set DATABASE_URL to a PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
  process.exit(2);
}

const database = await createTestDatabase();
const orm = await MikroORM.init(dspOrmConfig({ ...database.settings, poolMax: 4 }));
try {
  const em = orm.em.fork();
  const participants = Array.from({ length: 4 }, () => new Participant('omron_connect'));
  await em.persist(participants).flush();
  const writer = new ReadingWriter();
  const write = async (participantId: string, pages: Record<string, unknown>[][]) => {
    for (const rows of pages) {
      await orm.em.fork().transactional(async (tx: EntityManager) => {
        await lockChangeSequence(tx);
        await writer.write(tx, participantId, 'blood_pressure', rows as never);
      });
    }
  };
  // Warm up (connections, plans, caches) on a participant of its own, untimed.
  await write(participants[3].id, pagesOf(1, 5));
  const alone = pagesOf(1, PAGES);
  const first = pagesOf(1, PAGES);
  const second = pagesOf(1, PAGES);
  const one = await timed(() => write(participants[0].id, alone));
  const two = await timed(() => Promise.all([write(participants[1].id, first), write(participants[2].id, second)]));
  console.log(`pages of ${PAGE_SIZE.toLocaleString('en-US')} blood-pressure readings, ${PAGES} per writer, one transaction each`);
  printComparison(
    'readings',
    { label: 'two writers at once', count: 2 * PAGES * PAGE_SIZE, seconds: two.seconds },
    { label: 'one writer alone', count: PAGES * PAGE_SIZE, seconds: one.seconds },
  );
} finally {
  await orm.close(true);
  await database.drop();
}
