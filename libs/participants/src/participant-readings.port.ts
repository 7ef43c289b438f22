import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Deletes every reading of a participant in the caller's transaction; resolves to how many readings went. */
export type DeleteParticipantReadings = (em: EntityManager, participantId: string) => Promise<number>;

/**
 * The participants' side of the readings they own: withdrawal deletes them through this port, and the libs
 * that keep readings (libs/measurements, which owns the reading tables, and libs/sync for the raw pages it
 * keeps; both depend on participants, never the reverse) implement it when their modules start.
 */
@Injectable()
export class ParticipantReadingsPort {
  private readonly deleters: DeleteParticipantReadings[] = [];

  /** Called once by each module that keeps a participant's readings. */
  implement(deleter: DeleteParticipantReadings): void {
    this.deleters.push(deleter);
  }

  /** Fails rather than keep readings that had to go when no module implements the port. */
  async deleteAll(em: EntityManager, participantId: string): Promise<number> {
    if (this.deleters.length === 0) throw new Error('ParticipantReadingsPort has no implementation: import MeasurementsModule');
    let deleted = 0;
    for (const deleter of this.deleters) deleted += await deleter(em, participantId);
    return deleted;
  }
}
