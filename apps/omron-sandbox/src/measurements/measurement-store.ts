import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import copyStreams from 'pg-copy-streams';
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

/** The types and the time range (inclusive) a batch of readings falls in, known before it is produced. */
export interface ReadingSpan {
  types: MeasurementType[];
  from: Date;
  to: Date;
}

/** How a batch was written: see {@link MeasurementStore.insert}. */
export type WriteMethod = 'copy' | 'staged-copy' | 'batched-insert';

export interface WriteResult {
  received: number;
  /** New readings per type (types without new readings are left out). */
  inserted: Map<MeasurementType, number>;
  method: WriteMethod;
}

export interface PageRequest {
  since: Date | null;
  /** Epoch ms of the last reading the client already has (the pagination key). */
  after: number | null;
  order: SortOrder;
  limit: number;
}

/** Rows per insert statement where COPY is unavailable: large enough to be fast, small enough to keep each statement's JSON a few MB. */
const INSERT_CHUNK = 5000;
/** Characters of COPY text handed to the connection at a time. */
const COPY_CHUNK = 256 * 1024;
const UNIQUE_VIOLATION = '23505';
const MEASUREMENT = '"omron_sandbox"."measurement"';
const COLUMNS = '"user_id", "type", "measured_at", "utc_offset_seconds", "device_type", "values", "source", "uploaded_at"';

interface PageRow {
  id: string | number;
  measured_at: Date | string;
  utc_offset_seconds: number;
  device_type: string;
  values: MeasurementValues | string;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value in COPY's text format (backslash, newline, carriage return and tab escaped). */
function copyField(value: string): string {
  return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (character) => COPY_ESCAPES[character]!) : value;
}

/** The span of readings already in memory; null when there are none. */
function spanOf(rows: Iterable<ReadingRow>): ReadingSpan | null {
  const types = new Set<MeasurementType>();
  let from = Infinity;
  let to = -Infinity;
  for (const row of rows) {
    types.add(row.type);
    from = Math.min(from, row.measuredAt.getTime());
    to = Math.max(to, row.measuredAt.getTime());
  }
  return types.size ? { types: [...types], from: new Date(from), to: new Date(to) } : null;
}

/**
 * SQL access to the readings table. Reads are keyset pages on the (user, type, measured_at) unique
 * index. Writes take one of three paths, all with the same outcome (new readings stored, a reading the
 * user already has at the same type and second ignored, the first of two such readings in one batch
 * kept); see docs/sandbox-data.md for the figures behind them:
 *
 * - `copy`: when the user has no readings of the batch's types in its time range, the rows stream
 *   straight into the table with COPY, about as fast as PostgreSQL can take them. The unique index
 *   still has the last word: a repeat (inside the batch, or of a stored reading the range check did
 *   not foresee) aborts the COPY, inside a savepoint, and the batch takes the staged path.
 * - `staged-copy`: COPY into a temporary table, then `insert … select … on conflict do nothing`.
 * - `batched-insert`: multi-row inserts of JSON chunks, for the embedded database (PGlite), whose
 *   socket server does not speak COPY's sub-protocol.
 *
 * The caller holds a transaction on `client` and has called {@link lockUser} in it.
 */
@Injectable()
export class MeasurementStore {
  private readonly logger = new Logger(MeasurementStore.name);
  /** False on PGlite; known after the first write. */
  private copySupport: boolean | undefined;

  /**
   * Locks the user for this transaction and says whether it exists. The readings table has no foreign
   * key (its per-row check cost a third of a bulk load): the user row is held with FOR KEY SHARE instead,
   * which a delete must wait for. Loads of one user take turns, so the range check before a direct
   * COPY stays true until the commit and two loads never wait on each other's rows.
   */
  async lockUser(client: PoolClient, userId: string): Promise<boolean> {
    const user = await client.query(`select 1 from "omron_sandbox"."sandbox_user" where "id" = $1 for key share`, [userId]);
    if (user.rowCount === 0) return false;
    await client.query(`select pg_advisory_xact_lock(hashtextextended('omron_sandbox.measurement:' || $1::text, 0))`, [userId]);
    return true;
  }

  /**
   * Inserts readings, ignoring any the user already has at the same type and second; returns new rows
   * per type. `rows` may be iterated twice (an aborted direct COPY is redone staged). `span`, when
   * given, saves a pass over the rows; a wrong one costs time, never correctness.
   */
  async insert(
    client: PoolClient,
    userId: string,
    rows: Iterable<ReadingRow>,
    source: MeasurementSource,
    uploadedAt: Date,
    span?: ReadingSpan,
  ): Promise<WriteResult> {
    if (!(await this.copySupported(client))) return this.insertInBatches(client, userId, rows, source, uploadedAt);
    const bounds = span ?? spanOf(rows);
    if (!bounds) return { received: 0, inserted: new Map(), method: 'copy' };
    if (!(await this.hasReadingsIn(client, userId, bounds))) {
      await client.query('savepoint direct_copy');
      try {
        const written = await this.copy(client, `copy ${MEASUREMENT} (${COLUMNS}) from stdin`, rows, {
          prefix: `${userId}\t`,
          suffix: `\t${source}\t${uploadedAt.toISOString()}\n`,
        });
        await client.query('release savepoint direct_copy');
        return { received: written.received, inserted: written.byType, method: 'copy' };
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
        await client.query('rollback to savepoint direct_copy');
        this.logger.debug({ userId }, 'a repeated reading aborted the direct COPY; redoing it staged');
      }
    }
    return this.copyThroughStaging(client, userId, rows, source, uploadedAt);
  }

  private async copySupported(client: PoolClient): Promise<boolean> {
    if (this.copySupport === undefined) {
      const { rows } = await client.query<{ version: string }>('select version() as version');
      this.copySupport = !/pglite/i.test(rows[0]!.version);
    }
    return this.copySupport;
  }

  private async hasReadingsIn(client: PoolClient, userId: string, span: ReadingSpan): Promise<boolean> {
    const found = await client.query(
      `select 1 from ${MEASUREMENT} where "user_id" = $1 and "type" = any($2::text[]) and "measured_at" between $3 and $4 limit 1`,
      [userId, span.types, span.from.toISOString(), span.to.toISOString()],
    );
    return (found.rowCount ?? 0) > 0;
  }

  private async copyThroughStaging(
    client: PoolClient,
    userId: string,
    rows: Iterable<ReadingRow>,
    source: MeasurementSource,
    uploadedAt: Date,
  ): Promise<WriteResult> {
    await client.query(
      `create temporary table "measurement_upload" ("type" text, "measured_at" timestamptz, "utc_offset_seconds" int, "device_type" text, "values" jsonb) on commit drop`,
    );
    const { received } = await this.copy(client, `copy "measurement_upload" from stdin`, rows, { prefix: '', suffix: '\n' });
    // A fresh temporary table is read back in the order it was written, so the first of two repeats wins.
    const counts = await client.query<{ type: MeasurementType; count: number }>(
      `with inserted as (
         insert into ${MEASUREMENT} (${COLUMNS})
         select $1::uuid, "type", "measured_at", "utc_offset_seconds", "device_type", "values", $2, $3::timestamptz from "measurement_upload"
         on conflict ("user_id", "type", "measured_at") do nothing
         returning "type"
       )
       select "type", count(*)::int as count from inserted group by "type"`,
      [userId, source, uploadedAt.toISOString()],
    );
    await client.query(`drop table "measurement_upload"`);
    return { received, inserted: new Map(counts.rows.map((row) => [row.type, Number(row.count)])), method: 'staged-copy' };
  }

  /** Streams rows into a COPY … FROM STDIN in text format, generating them as the connection takes them. */
  private async copy(
    client: PoolClient,
    sql: string,
    rows: Iterable<ReadingRow>,
    line: { prefix: string; suffix: string },
  ): Promise<{ received: number; byType: Map<MeasurementType, number> }> {
    const byType = new Map<MeasurementType, number>();
    let received = 0;
    function* text(): Generator<string> {
      let chunk = '';
      for (const row of rows) {
        chunk +=
          line.prefix +
          row.type +
          '\t' +
          row.measuredAt.toISOString() +
          '\t' +
          row.utcOffsetSeconds +
          '\t' +
          copyField(row.deviceType) +
          '\t' +
          copyField(JSON.stringify(row.values)) +
          line.suffix;
        byType.set(row.type, (byType.get(row.type) ?? 0) + 1);
        received++;
        if (chunk.length >= COPY_CHUNK) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
    await pipeline(Readable.from(text()), client.query(copyStreams.from(sql)));
    return { received, byType };
  }

  private async insertInBatches(
    client: PoolClient,
    userId: string,
    rows: Iterable<ReadingRow>,
    source: MeasurementSource,
    uploadedAt: Date,
  ): Promise<WriteResult> {
    const inserted = new Map<MeasurementType, number>();
    let received = 0;
    let chunk: object[] = [];
    const flush = async () => {
      const counts = await client.query<{ type: MeasurementType; count: number }>(
        `with input as (
           select * from jsonb_to_recordset($1::jsonb)
             as t(type text, measured_at timestamptz, utc_offset_seconds int, device_type text, "values" jsonb)
         ), inserted as (
           insert into ${MEASUREMENT} (${COLUMNS})
           select $2::uuid, type, measured_at, utc_offset_seconds, device_type, "values", $3, $4::timestamptz from input
           on conflict ("user_id", "type", "measured_at") do nothing
           returning "type"
         )
         select "type", count(*)::int as count from inserted group by "type"`,
        [JSON.stringify(chunk), userId, source, uploadedAt.toISOString()],
      );
      for (const { type, count } of counts.rows) inserted.set(type, (inserted.get(type) ?? 0) + Number(count));
      chunk = [];
    };
    for (const row of rows) {
      chunk.push({
        type: row.type,
        measured_at: row.measuredAt.toISOString(),
        utc_offset_seconds: row.utcOffsetSeconds,
        device_type: row.deviceType,
        values: row.values,
      });
      received++;
      if (chunk.length === INSERT_CHUNK) await flush();
    }
    if (chunk.length) await flush();
    return { received, inserted, method: 'batched-insert' };
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
