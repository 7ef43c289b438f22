import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { ParticipantLookups } from '@opendsp/participants';
import { RawPageReplay, ReadingWriter } from '@opendsp/sync';
import { withDatabase } from './with-database.js';

// `npm run sync:renormalise -- <OGSC ID or participant UUID> [kind …]` or `npm run sync:renormalise -- --all [kind …]`:
// reads the kept raw measurement pages (SYNC_RAW_PAGE_RETENTION_DAYS) of one participant, or of every participant
// who has any, again with the current parser, without calling OMRON.
const [who, ...kindArgs] = process.argv.slice(2);
const kinds = (kindArgs.length > 0 ? kindArgs : [...MEASUREMENT_KIND_NAMES]) as MeasurementKind[];
const unknown = kinds.filter((kind) => !(MEASUREMENT_KIND_NAMES as readonly string[]).includes(kind));
if (!who || (who.startsWith('-') && who !== '--all') || unknown.length > 0) {
  const kindList = `[${MEASUREMENT_KIND_NAMES.join(' | ')} …]`;
  console.error(
    `usage: npm run sync:renormalise -- <OGSC ID or participant ID> ${kindList}\n       npm run sync:renormalise -- --all ${kindList}`,
  );
  process.exit(64);
}

await withDatabase(async (orm) => {
  const em = orm.em.fork() as EntityManager;
  const replay = new RawPageReplay(orm.em as EntityManager, new ReadingWriter());
  let participants: { id: string; ogsc_id: string }[];
  if (who === '--all') {
    participants = await replay.participantsWithPages(kinds);
  } else {
    const participant = await new ParticipantLookups().byOgscIdOrId(em, who);
    if (!participant) {
      console.error(`No participant ${who}.`);
      process.exit(65);
    }
    participants = [{ id: participant.id, ogsc_id: participant.ogscId }];
  }
  const total = { pages: 0, readings: 0, changed: 0, unreadable: 0 };
  for (const participant of participants) {
    const outcome = await replay.renormalise(participant.id, kinds);
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
});
