import 'reflect-metadata';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { ConfigValidationError, loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { ParticipantLookups } from '@opendsp/participants';
import { RawPageReplay, ReadingWriter } from '@opendsp/sync';

// `npm run sync:renormalise -- <OGSC ID or participant UUID> [kind …]` or `npm run sync:renormalise -- --all [kind …]`:
// reads the kept raw measurement pages (SYNC_RAW_PAGE_RETENTION_DAYS) of one participant, or of every participant
// who has any, again with the current parser, without calling OMRON.
try {
  const [who, ...kindArgs] = process.argv.slice(2);
  const kinds = kindArgs.length > 0 ? kindArgs : [...MEASUREMENT_KIND_NAMES];
  const unknown = kinds.filter((kind) => !(MEASUREMENT_KIND_NAMES as readonly string[]).includes(kind));
  if (!who || (who.startsWith('-') && who !== '--all') || unknown.length > 0) {
    const kindList = `[${MEASUREMENT_KIND_NAMES.join(' | ')} …]`;
    console.error(
      `usage: npm run sync:renormalise -- <OGSC ID or participant ID> ${kindList}\n       npm run sync:renormalise -- --all ${kindList}`,
    );
    process.exit(64);
  }
  const config = loadDspConfig(process.env);
  const orm = await MikroORM.init(dspOrmConfig({ ...config.database, poolMax: 2 }));
  try {
    const em = orm.em.fork() as EntityManager;
    const replay = new RawPageReplay(orm.em as EntityManager, new ReadingWriter());
    const named = who === '--all' ? null : await new ParticipantLookups().byOgscIdOrId(em, who);
    const participants =
      who === '--all'
        ? await replay.participantsWithPages(kinds as MeasurementKind[])
        : named
          ? [{ id: named.id, ogsc_id: named.ogscId }]
          : [];
    if (participants.length === 0 && who !== '--all') {
      console.error(`No participant ${who}.`);
      process.exit(65);
    }
    const total = { pages: 0, readings: 0, changed: 0, unreadable: 0 };
    for (const participant of participants) {
      const outcome = await replay.renormalise(participant.id, kinds as MeasurementKind[]);
      for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += outcome[key];
      console.log(
        `${participant.ogsc_id}: ${outcome.pages} pages, ${outcome.readings} readings read again, ${outcome.changed} inserted or changed, ${outcome.unreadable} still unreadable.`,
      );
    }
    if (who === '--all') {
      console.log(
        `${participants.length} participants: ${total.pages} pages, ${total.readings} readings read again, ${total.changed} inserted or changed, ${total.unreadable} still unreadable.`,
      );
    }
  } finally {
    await orm.close(true);
  }
} catch (error) {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
