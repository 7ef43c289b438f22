import { gunzipSync } from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { lockChangeSequence, MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { ConsentedParticipants } from '@opendsp/participants';
import { normaliseResult } from './normalise.rules.js';
import { ReadingWriter } from './reading-writer.service.js';

export interface ReplayOutcome {
  pages: number;
  readings: number;
  /** Readings inserted or changed by the new normalisation (a replay of unchanged parsing changes nothing). */
  changed: number;
  /** Pages the normaliser still cannot read (left as they are, named in the log). */
  unreadable: number;
}

/**
 * Normalises kept raw measurement pages (`sync_raw_page`) again, without calling OMRON: after a parser fix, the data
 * already received is read the new way. Pages are replayed oldest first through the same writer as a pull (one
 * transaction per page, after `lockChangeSequence`), so unchanged readings stay untouched and changed ones get
 * a new change sequence number. Only participants with a consented enrollment are replayed.
 */
@Injectable()
export class RawPageReplay {
  private readonly logger = new Logger(RawPageReplay.name);

  constructor(
    private readonly em: EntityManager,
    private readonly writer: ReadingWriter,
    /** Stateless, so a replay built by hand gets its own. */
    private readonly participants: ConsentedParticipants = new ConsentedParticipants(),
  ) {}

  /** Participants with kept raw pages of any of these kinds, by OGSC ID. */
  async participantsWithPages(kinds: readonly MeasurementKind[]): Promise<{ id: string; ogsc_id: string }[]> {
    const em = this.em.fork();
    const rows = await em.execute<{ participant_id: string }[]>(
      `select distinct "participant_id" from "sync_raw_page" where "kind" = any(?::text[])`,
      [`{${kinds.join(',')}}`],
    );
    const ogscIds = await this.participants.ogscIds(
      em,
      rows.map((row) => row.participant_id),
    );
    return [...ogscIds]
      .map(([id, ogsc_id]) => ({ id, ogsc_id }))
      .sort((a, b) => (a.ogsc_id < b.ogsc_id ? -1 : a.ogsc_id > b.ogsc_id ? 1 : 0));
  }

  async renormalise(participantId: string, kinds: readonly MeasurementKind[] = MEASUREMENT_KIND_NAMES): Promise<ReplayOutcome> {
    const outcome: ReplayOutcome = { pages: 0, readings: 0, changed: 0, unreadable: 0 };
    let after = '0';
    for (;;) {
      const pages = await this.em.fork().execute<{ id: string; kind: MeasurementKind; body: Buffer }[]>(
        `select "id"::text as id, "kind", "body" from "sync_raw_page"
           where "participant_id" = ? and "kind" = any(?::text[]) and "id" > ?::bigint order by "id" limit 50`,
        [participantId, `{${kinds.join(',')}}`, after],
      );
      if (pages.length === 0) return outcome;
      for (const page of pages) {
        after = page.id;
        let rows;
        try {
          rows = normaliseResult(page.kind, JSON.parse(gunzipSync(page.body).toString('utf8')) as Record<string, unknown>);
        } catch (error) {
          outcome.unreadable += 1;
          this.logger.warn(`raw page ${page.id} (${page.kind}) still cannot be read: ${(error as Error).message}`);
          continue;
        }
        const written = await this.em.fork().transactional(async (em) => {
          if (!(await this.participants.lockConsented(em, participantId)) || rows.length === 0) return 0;
          await lockChangeSequence(em);
          const result = await this.writer.write(em, participantId, page.kind, rows);
          return result.inserted + result.updated;
        });
        outcome.pages += 1;
        outcome.readings += rows.length;
        outcome.changed += written;
      }
    }
  }
}
