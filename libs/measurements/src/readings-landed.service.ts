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

/**
 * Where a page came from. `fresh`: a page someone waits for (a notification, "sync now"), whose effects should
 * show at once. `background`: one of possibly many pages of a backfill or reconciliation pull; a listener may
 * defer its per-page work until `pullFinished` says the pull has written its last page.
 */
export type LandingLane = 'fresh' | 'background';

/** What one page write changed for one participant and kind. */
export interface LandedPage {
  participantId: string;
  kind: MeasurementKind;
  lane: LandingLane;
  readings: readonly LandedReading[];
}

/** A background pull of one participant and kind that has written its last page. */
export interface FinishedPull {
  participantId: string;
  kind: MeasurementKind;
}

/** Runs inside the writer's transaction, after the page's upsert: what it writes commits or rolls back with it. */
export type ReadingsLandedListener = (em: EntityManager, page: LandedPage) => Promise<void>;

/** Runs inside the transaction that finishes a background pull: what it writes commits or rolls back with it. */
export type PullFinishedListener = (em: EntityManager, pull: FinishedPull) => Promise<void>;

/**
 * Where rooms above measurements learn that readings landed, in the same transaction as the write, without
 * rescanning the reading tables: the sync writer calls `notify` after each page; a room that derives something
 * from readings (alerts, adherence) registers a listener when its module starts. A writer built by hand (the
 * renormalise command, benchmarks) gets an instance with no listeners.
 *
 * A background pull's pages (`lane: 'background'`) may leave work for the end of the pull: the sync's puller calls
 * `pullFinished` in the transaction that finishes it, so a listener can do once, set-based, what it would
 * otherwise do on every page (libs/insights counts a backfill's days there).
 */
@Injectable()
export class ReadingsLanded {
  private readonly listeners: { name: string; listener: ReadingsLandedListener }[] = [];
  private readonly finishedListeners: { name: string; listener: PullFinishedListener }[] = [];

  listen(name: string, listener: ReadingsLandedListener): void {
    if (this.listeners.some((entry) => entry.name === name))
      throw new Error(`A readings-landed listener named ${name} is already registered`);
    this.listeners.push({ name, listener });
  }

  /** Registers work to do when a background pull has written its last page (after the page listeners' deferrals). */
  listenPullFinished(name: string, listener: PullFinishedListener): void {
    if (this.finishedListeners.some((entry) => entry.name === name))
      throw new Error(`A pull-finished listener named ${name} is already registered`);
    this.finishedListeners.push({ name, listener });
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

  /** Calls every pull-finished listener in registration order; an error fails the transaction that finishes the pull. */
  async pullFinished(em: EntityManager, pull: FinishedPull): Promise<void> {
    for (const { name, listener } of this.finishedListeners) {
      try {
        await listener(em, pull);
      } catch (error) {
        Logger.warn(`Pull-finished listener ${name} failed for a ${pull.kind} pull`, 'ReadingsLanded');
        throw error;
      }
    }
  }
}
