import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { MeasurementType } from '@opendsp/omron-api';
import { NotificationOutbox } from '../notifications/index.js';
import { SandboxUser } from '../users/sandbox-user.entity.js';
import type { MeasurementSource } from './measurement.entity.js';
import { MeasurementStore, type ReadingRow } from './measurement-store.js';
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

  async ingest(userId: string, readings: NewReading[], source: MeasurementSource): Promise<IngestResult> {
    const started = performance.now();
    const user = await this.em.fork().findOne(SandboxUser, { id: userId });
    if (!user) throw new UnknownSandboxUserError(userId);
    const offsetAt = offsetLookup((await this.preferences.get(userId)).timeZone);
    const rows: ReadingRow[] = readings.map((reading) => {
      // Devices record whole seconds; keeping it so makes the measurement time an exact pagination key.
      const measuredAt = new Date(Math.floor(reading.measuredAt.getTime() / 1000) * 1000);
      return {
        type: reading.type,
        measuredAt,
        utcOffsetSeconds: reading.utcOffsetSeconds ?? offsetAt(measuredAt),
        deviceType: reading.deviceType,
        values: reading.values,
      };
    });
    const uploadedAt = new Date();
    const recipients = await this.outbox.recipients(userId);
    const { byType, queued } = await this.em.fork().transactional(async (em) => {
      const inserted = await this.store.insert(em, userId, rows, source, uploadedAt);
      const queued = await this.outbox.enqueue(em, user, recipients, [...inserted.keys()], uploadedAt);
      return { byType: Object.fromEntries(inserted) as Partial<Record<MeasurementType, number>>, queued };
    });
    if (queued > 0) this.outbox.deliverSoon();
    const inserted = Object.values(byType).reduce((sum, count) => sum + count, 0);
    const milliseconds = Math.round(performance.now() - started);
    this.logger.log({ userId, source, received: readings.length, inserted, milliseconds }, 'readings ingested');
    return { received: readings.length, inserted, byType, notificationsQueued: queued, milliseconds };
  }
}
