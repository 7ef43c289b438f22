import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Deletes every reading of a participant in the caller's transaction; resolves to how many readings went. */
export type DeleteParticipantReadings = (em: EntityManager, participantId: string) => Promise<number>;

/**
 * The participants' side of the readings they own: withdrawal deletes them through this port, and
 * libs/measurements (which owns the reading tables and depends on participants, never the reverse)
 * implements it when its module starts.
 */
@Injectable()
export class ParticipantReadingsPort {
  private deleter: DeleteParticipantReadings | null = null;

  /** Called once, by MeasurementsModule. */
  implement(deleter: DeleteParticipantReadings): void {
    if (this.deleter) throw new Error('ParticipantReadingsPort is already implemented');
    this.deleter = deleter;
  }

  /** Fails rather than keep readings that had to go when no module implements the port. */
  deleteAll(em: EntityManager, participantId: string): Promise<number> {
    if (!this.deleter) throw new Error('ParticipantReadingsPort has no implementation: import MeasurementsModule');
    return this.deleter(em, participantId);
  }
}
