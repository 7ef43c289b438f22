import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  MEASUREMENT_TYPES,
  PAGINATION_KEYS,
  RESULT_KEYS,
  type MeasurementQuery,
  type MeasurementResult,
  type MeasurementSuccessResponse,
  type MeasurementType,
} from '@opendsp/omron-api';
import type { AuthenticatedAccess } from '../oauth/index.js';
import { formatMeasurement } from './measurement-format.js';
import { MeasurementStore } from './measurement-store.js';
import { OmronApiError } from './omron-api-error.js';
import { UserPreferencesService } from './user-preferences.service.js';

/** The most readings of one type one response carries (also the largest `limit` accepted). */
export const MEASUREMENT_PAGE_MAX = 1000;

/** Answers measurement requests: the granted types, one keyset page each, in the user's units. */
@Injectable()
export class MeasurementApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly store: MeasurementStore,
    private readonly preferences: UserPreferencesService,
  ) {}

  async measurements(access: AuthenticatedAccess, query: MeasurementQuery): Promise<MeasurementSuccessResponse> {
    const granted = MEASUREMENT_TYPES.filter((type) => access.scopes.includes(type));
    let types: MeasurementType[] = granted;
    if (query.type) {
      if (!granted.includes(query.type)) {
        throw new OmronApiError('SCOPE_NOT_GRANTED', `The user did not authorise ${query.type} for your application`);
      }
      types = [query.type];
    }
    const preferences = await this.preferences.get(access.userId);
    const em = this.em.fork();
    // Arrays first, then the paging fields: the key order of the spec's examples.
    const arrays: Record<string, unknown> = {};
    const paginationKey: MeasurementResult['paginationKey'] = {};
    let truncated = false;
    let measurementCount = 0;
    for (const type of types) {
      const page = await this.store.page(em, access.userId, type, {
        since: query.since,
        after: query.after[type] ?? null,
        order: query.sortOrder,
        limit: query.limit ?? MEASUREMENT_PAGE_MAX,
      });
      arrays[RESULT_KEYS[type]] = page.readings.map((reading) =>
        formatMeasurement(reading, preferences, { includeHourly: query.includeHourlyActivity }),
      );
      // The key is the time of the last reading returned, and only while more readings follow it.
      const last = page.readings.at(-1);
      paginationKey[PAGINATION_KEYS[type]] = page.more && last ? last.measuredAt.getTime() : null;
      // Legacy flag: set only when the server's own maximum, not the client's limit, cut the answer short.
      if (page.more && query.limit === null) truncated = true;
      measurementCount += page.readings.length;
    }
    const result = { ...arrays, paginationKey, truncated, measurementCount } as MeasurementResult;
    return { status: 0, result };
  }
}
