import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MeasurementType, SortOrder } from '@opendsp/omron-api';
import type { StoredReading } from './measurement-format.js';
import type { MeasurementSource } from './measurement.entity.js';
import type { MeasurementValues } from './measurement-values.js';

/** A reading ready to store: whole-second UTC time and a known offset. */
export interface ReadingRow {
  type: MeasurementType;
  measuredAt: Date;
  utcOffsetSeconds: number;
  deviceType: string;
  values: MeasurementValues;
}

export interface PageRequest {
  since: Date | null;
  /** Epoch ms of the last reading the client already has (the pagination key). */
  after: number | null;
  order: SortOrder;
  limit: number;
}

/** Rows per insert statement: large enough to be fast, small enough to keep each statement's JSON a few MB. */
const INSERT_CHUNK = 5000;

interface PageRow {
  id: string | number;
  measured_at: Date | string;
  utc_offset_seconds: number;
  device_type: string;
  values: MeasurementValues | string;
}

/**
 * SQL access to the readings table. Writes are multi-row inserts (one JSON document per chunk, unpacked
 * by `jsonb_to_recordset`): about 25,000–35,000 readings a second here, where per-row ORM flushes would
 * take minutes; reads are keyset pages on the (user, type, measured_at) unique index.
 */
@Injectable()
export class MeasurementStore {
  /** Inserts readings, ignoring any the user already has at the same type and second; returns new rows per type. */
  async insert(
    em: EntityManager,
    userId: string,
    rows: ReadingRow[],
    source: MeasurementSource,
    uploadedAt: Date,
  ): Promise<Map<MeasurementType, number>> {
    const inserted = new Map<MeasurementType, number>();
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK).map((row) => ({
        type: row.type,
        measured_at: row.measuredAt.toISOString(),
        utc_offset_seconds: row.utcOffsetSeconds,
        device_type: row.deviceType,
        values: row.values,
      }));
      const counts = await em.execute<{ type: MeasurementType; count: number }[]>(
        `with input as (
           select * from jsonb_to_recordset(?::jsonb)
             as t(type text, measured_at timestamptz, utc_offset_seconds int, device_type text, "values" jsonb)
         ), inserted as (
           insert into "omron_sandbox"."measurement" ("user_id", "type", "measured_at", "utc_offset_seconds", "device_type", "values", "source", "uploaded_at")
           select ?::uuid, type, measured_at, utc_offset_seconds, device_type, "values", ?, ?::timestamptz from input
           on conflict ("user_id", "type", "measured_at") do nothing
           returning "type"
         )
         select "type", count(*)::int as count from inserted group by "type"`,
        [JSON.stringify(chunk), userId, source, uploadedAt.toISOString()],
      );
      for (const { type, count } of counts) inserted.set(type, (inserted.get(type) ?? 0) + Number(count));
    }
    return inserted;
  }

  /** One page of a user's readings of one type, plus whether more follow it. */
  async page(
    em: EntityManager,
    userId: string,
    type: MeasurementType,
    request: PageRequest,
  ): Promise<{ readings: StoredReading[]; more: boolean }> {
    const conditions = [`"user_id" = ?`, `"type" = ?`];
    const params: unknown[] = [userId, type];
    if (request.since) {
      conditions.push(`"measured_at" >= ?`);
      params.push(request.since.toISOString());
    }
    if (request.after !== null) {
      conditions.push(`"measured_at" ${request.order === 'asc' ? '>' : '<'} ?`);
      params.push(new Date(request.after).toISOString());
    }
    params.push(request.limit + 1);
    const rows = await em.execute<PageRow[]>(
      `select "id", "measured_at", "utc_offset_seconds", "device_type", "values" from "omron_sandbox"."measurement"
       where ${conditions.join(' and ')} order by "measured_at" ${request.order === 'asc' ? 'asc' : 'desc'} limit ?`,
      params,
    );
    const more = rows.length > request.limit;
    return {
      readings: rows.slice(0, request.limit).map((row) => ({
        id: Number(row.id),
        type,
        measuredAt: new Date(row.measured_at),
        utcOffsetSeconds: row.utc_offset_seconds,
        deviceType: row.device_type,
        values: (typeof row.values === 'string' ? JSON.parse(row.values) : row.values) as never,
      })),
      more,
    };
  }

  /** How many readings of each type a user has. */
  async countsByType(em: EntityManager, userId: string): Promise<Partial<Record<MeasurementType, number>>> {
    const rows = await em.execute<{ type: MeasurementType; count: number }[]>(
      `select "type", count(*)::int as count from "omron_sandbox"."measurement" where "user_id" = ? group by "type"`,
      [userId],
    );
    return Object.fromEntries(rows.map((row) => [row.type, Number(row.count)]));
  }
}
