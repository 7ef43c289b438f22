import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MeasurementKind } from './measurement-kinds.catalogue.js';
import type { ReadingInput } from './readings.repository.js';

/** A reading a page inserted or changed (a replayed, unchanged reading does not land again). */
export interface LandedReading {
  /** The reading's row ID in its kind's table. */
  id: string;
  /** False: the reading was stored before and one of its values changed. */
  inserted: boolean;
  /** The normalised reading as written: `ReadingInput`'s columns and the kind's catalogue columns. */
  row: ReadingInput & Record<string, unknown>;
}

/** What one page write changed for one participant and kind. */
export interface LandedPage {
  participantId: string;
  kind: MeasurementKind;
  readings: readonly LandedReading[];
}

/** Runs inside the writer's transaction, after the page's upsert: what it writes commits or rolls back with it. */
export type ReadingsLandedListener = (em: EntityManager, page: LandedPage) => Promise<void>;

/**
 * Where rooms above measurements learn that readings landed, in the same transaction as the write, without
 * rescanning the reading tables: the sync writer calls `notify` after each page; a room that derives something
 * from readings (alerts, adherence) registers a listener when its module starts. A writer built by hand (the
 * renormalise command, benchmarks) gets an instance with no listeners.
 */
@Injectable()
export class ReadingsLanded {
  private readonly listeners: { name: string; listener: ReadingsLandedListener }[] = [];

  listen(name: string, listener: ReadingsLandedListener): void {
    if (this.listeners.some((entry) => entry.name === name))
      throw new Error(`A readings-landed listener named ${name} is already registered`);
    this.listeners.push({ name, listener });
  }

  get listenerNames(): string[] {
    return this.listeners.map(({ name }) => name);
  }

  /** Calls every listener in registration order; a listener's error fails the page's transaction (it is retried). */
  async notify(em: EntityManager, page: LandedPage): Promise<void> {
    if (page.readings.length === 0) return;
    for (const { name, listener } of this.listeners) {
      try {
        await listener(em, page);
      } catch (error) {
        Logger.warn(`Readings-landed listener ${name} failed for a ${page.kind} page`, 'ReadingsLanded');
        throw error;
      }
    }
  }
}
