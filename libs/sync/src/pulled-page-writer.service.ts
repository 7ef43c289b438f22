import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ConsentedParticipants } from '@opendsp/participants';
import { lockChangeSequence, type MeasurementKind } from '@opendsp/measurements';
import type { ReadingRow } from './normalise.rules.js';
import { ReadingWriter } from './reading-writer.service.js';
import { PullSupersededError } from './sync.errors.js';
import type { PullLane } from './sync-jobs.service.js';

/** A page fetched ahead of its write: its readings, OMRON's next key, and the answer compressed (null: not kept). */
export interface FetchedPage {
  rows: ReadingRow[];
  nextKey: string | null;
  raw: Buffer | null;
}

/**
 * A pull's page transaction: the page's readings, its raw answer and the ledger's cursor commit together or not at
 * all. Its own class so that benchmarks time the transaction the sync runs, not a copy of it (bench/sync-derived.ts).
 */
@Injectable()
export class PulledPageWriter {
  constructor(
    private readonly em: EntityManager,
    private readonly writer: ReadingWriter,
    private readonly participants: ConsentedParticipants,
  ) {}

  /**
   * Writes one page and moves the ledger's cursor to `nextKey` (the pull's decision, not always the page's own key),
   * in one transaction (`lockChangeSequence` first); returns how many readings were new or changed. Throws
   * PullSupersededError, the page rolled back, when the participant withdrew or `token` no longer owns the pull.
   */
  async write(
    participantId: string,
    kind: MeasurementKind,
    token: string,
    page: FetchedPage,
    nextKey: string | null,
    lane: PullLane,
  ): Promise<number> {
    const { rows } = page;
    return this.em.fork().transactional(async (em) => {
      let outcome = { inserted: 0, updated: 0 };
      if (rows.length > 0) {
        // A withdrawal deletes readings under this row's lock: wait for it, then look again with a fresh
        // snapshot, so a page fetched before the withdrawal is never written after it.
        if (!(await this.participants.lockConsented(em, participantId)))
          throw new PullSupersededError(`${participantId} withdrew while their ${kind} pull ran`);
        // The raw page draws no change sequence number: it goes in the lock's round trip, its body as a bound parameter.
        await lockChangeSequence(
          em,
          page.raw
            ? {
                sql: `insert into "sync_raw_page" ("participant_id", "kind", "body") values ($1, $2, $3)`,
                params: [participantId, kind, page.raw],
              }
            : undefined,
        );
        outcome = await this.writer.write(em, participantId, kind, rows, lane);
      }
      const moved = await em.execute<{ id: string }[]>(
        `update "sync_ledger" set "pull_cursor" = ?, "pull_pages" = "pull_pages" + 1, "pull_readings" = "pull_readings" + ?,
           "pull_changed" = "pull_changed" + ?, "updated_at" = now()
         where "participant_id" = ? and "kind" = ? and "pull_token" = ? returning "id"`,
        [nextKey, rows.length, outcome.inserted + outcome.updated, participantId, kind, token],
      );
      // Rolls the page back: another worker owns this pull now.
      if (moved.length === 0) throw new PullSupersededError(`the ${kind} pull of ${participantId} was taken over`);
      return outcome.inserted + outcome.updated;
    });
  }
}
