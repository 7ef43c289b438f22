// Pre-created accounts: a bulk upload of N participants (default 1,000, the CSV limit) through
// ParticipantProvisioning in one call, next to the same number created one at a time through the same
// service (what an admin clicking the one-by-one form, or an API client looping, would cost).
// Needs DATABASE_URL (a PostgreSQL server; a scratch database is created and dropped).
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { ProgramGroup } from '@opendsp/groups';
import { ParticipantProvisioning } from '@opendsp/participants';
import { createDspApp } from '../apps/dsp/src/bootstrap.js';
import { createTestDatabase } from '../test/support/test-database.js';
import { testDspEnv } from '../test/support/test-environment.js';
import { printComparison, timed } from './support/report.js';

const count = Number(process.argv[2] ?? 1000);
const database = await createTestDatabase();
const app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url })));
await app.init();
try {
  const orm = await MikroORM.init(dspOrmConfig(database.settings));
  const bulkGroup = new ProgramGroup('Bulk');
  const singleGroup = new ProgramGroup('One at a time');
  await orm.em.fork().persist([bulkGroup, singleGroup]).flush();
  await orm.close(true);

  const provisioning = app.get(ParticipantProvisioning);
  const actor = { login: 'bench' };
  const rows = Array.from({ length: count }, (_, index) => ({ line: index + 2, internalCustomerId: `C-${index}` }));
  const bulk = await timed(() => provisioning.provision(bulkGroup.groupId, rows, actor, { source: 'csv' }));
  if (!bulk.result.ok) throw new Error('bulk provisioning failed');
  const single = await timed(async () => {
    for (const row of rows) await provisioning.provision(singleGroup.groupId, [row], actor, { source: 'form' });
  });
  printComparison(
    'participants',
    { label: `one CSV upload (argon2id ×2 in parallel, one transaction)`, count, seconds: bulk.seconds },
    { label: 'one at a time (one hash, one transaction each)', count, seconds: single.seconds },
  );
} finally {
  await app.close();
  await database.drop();
}
