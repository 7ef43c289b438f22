import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadDspConfig, type DspConfig } from '@opendsp/config';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { ParticipantLookups } from '@opendsp/participants';
import { RawPageReplay } from '@opendsp/sync';
import { exitOnSetupProblem } from '../exit-on-setup-problem.js';
import { createRenormaliseContext } from './renormalise.module.js';

// `npm run sync:renormalise -- <OGSC ID or participant UUID> [kind …]` or `npm run sync:renormalise -- --all [kind …]`:
// reads the kept raw measurement pages (SYNC_RAW_PAGE_RETENTION_DAYS) of one participant, or of every participant
// who has any, again with the current parser, without calling OMRON. The readings it inserts or changes land through
// the same listeners as a pull's (alerts, insights' month summary): the replay comes from RenormaliseModule's context.
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

/** Replays the pages, printing a line per participant; returns the exit code. The context is closed in any case. */
async function renormalise(config: DspConfig): Promise<number> {
  const app = await createRenormaliseContext(config);
  try {
    const replay = app.get(RawPageReplay);
    let participants: { id: string; ogsc_id: string }[];
    if (who === '--all') {
      participants = await replay.participantsWithPages(kinds);
    } else {
      const participant = await app.get(ParticipantLookups).byOgscIdOrId(app.get(MikroORM).em.fork(), who);
      if (!participant) {
        console.error(`No participant ${who}.`);
        return 65;
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
    return 0;
  } finally {
    // Closes the database pool too, so the process exits.
    await app.close();
  }
}

try {
  process.exitCode = await renormalise(loadDspConfig(process.env));
} catch (error) {
  // As the platform's start: a configuration or database problem is one sentence and EX_CONFIG (78), not a crash.
  exitOnSetupProblem(error, process.env.DATABASE_URL ?? '');
  throw error;
}
