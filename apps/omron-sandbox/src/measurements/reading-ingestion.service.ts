import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import type { MeasurementType } from '@opendsp/omron-api';
import { NotificationOutbox } from '../notifications/index.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import type { MeasurementSource } from './measurement.entity.js';
import { MeasurementStore, type ReadingRow, type ReadingSpan } from './measurement-store.js';
import type { NewReading } from './reading-input.js';
import { offsetLookup } from './time-zones.js';
import { UserPreferencesService } from './user-preferences.service.js';

export interface IngestResult {
  received: number;
  /** New readings stored; re-uploads of a reading the user already has (same type and second) are ignored. */
  inserted: number;
  byType: Partial<Record<MeasurementType, number>>;
  notificationsQueued: number;
  milliseconds: number;
}

/** Thrown for an unknown user; callers map it to 404. */
export class UnknownSandboxUserError extends Error {
  constructor(readonly userId: string) {
    super(`No sandbox user ${userId}`);
    this.name = 'UnknownSandboxUserError';
  }
}

/**
 * The one path by which readings arrive, as from a device upload through the OMRON connect app:
 * device, staging-tool generator and spreadsheet alike. Stores the readings and queues notifications
 * to the authorising apps in one transaction, then wakes the notification dispatcher.
 */
@Injectable()
export class ReadingIngestion {
  private readonly logger = new Logger(ReadingIngestion.name);

  constructor(
    private readonly em: EntityManager,
    private readonly store: MeasurementStore,
    private readonly preferences: UserPreferencesService,
    private readonly outbox: NotificationOutbox,
  ) {}

  /**
   * @param readings iterated as they are stored (a generator's million readings never sit in memory
   *   together) and possibly twice, so pass an array or an iterable that starts afresh each time.
   * @param span the types and times the readings fall in, when known without iterating them (a hint
   *   for choosing the fastest way to store them).
   */
  async ingest(userId: string, readings: Iterable<NewReading>, source: MeasurementSource, span?: ReadingSpan): Promise<IngestResult> {
    const started = performance.now();
    const user = await this.em.fork().findOne(SandboxUser, { id: userId });
    if (!user) throw new UnknownSandboxUserError(userId);
    const offsetAt = offsetLookup((await this.preferences.get(userId)).timeZone);
    const rows: Iterable<ReadingRow> = {
      *[Symbol.iterator]() {
        for (const reading of readings) {
          // Devices record whole seconds; keeping it so makes the measurement time an exact pagination key.
          const measuredAt = new Date(Math.floor(reading.measuredAt.getTime() / 1000) * 1000);
          yield {
            type: reading.type,
            measuredAt,
            utcOffsetSeconds: reading.utcOffsetSeconds ?? offsetAt(measuredAt),
            deviceType: reading.deviceType,
            values: reading.values,
          };
        }
      },
    };
    const uploadedAt = new Date();
    const recipients = await this.outbox.recipients(userId);
    const { written, queued } = await this.transaction(async (client) => {
      if (!(await this.store.lockUser(client, userId))) throw new UnknownSandboxUserError(userId);
      const written = await this.store.insert(client, userId, rows, source, uploadedAt, span);
      const queued = await this.outbox.enqueue(client, user, recipients, [...written.inserted.keys()], uploadedAt);
      return { written, queued };
    });
    if (queued > 0) this.outbox.deliverSoon();
    const byType = Object.fromEntries(written.inserted) as Partial<Record<MeasurementType, number>>;
    const inserted = Object.values(byType).reduce((sum, count) => sum + count, 0);
    const milliseconds = Math.round(performance.now() - started);
    this.logger.log({ userId, source, received: written.received, inserted, method: written.method, milliseconds }, 'readings ingested');
    return { received: written.received, inserted, byType, notificationsQueued: queued, milliseconds };
  }

  /**
   * Runs `work` in a transaction on a connection of its own from the ORM's pool: COPY needs the
   * driver's connection, which an ORM transaction does not expose.
   */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const pool = await this.em.getConnection().getNativeClient();
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // A connection that could not even roll back is discarded rather than returned to the pool.
      client.release(broken);
    }
  }
}
