import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { consentedMembersSql, ogscIdSql } from '@opendsp/participants';
import { arrayLiteral, executeBound } from './bound-statement.helpers.js';
import { changeHorizon, NEXT_CHANGE_SEQ } from './change-sequence.helpers.js';
import {
  copySupported,
  csvLineQuery,
  csvPage,
  literal,
  poolOf,
  streamCsv,
  type CsvChunk,
  type CsvLineFormat,
  type CsvPage,
} from './csv-pages.js';
import { exportColumns, type ExportKind } from './export-columns.catalogue.js';
import { MEASUREMENT_KIND_NAMES, MEASUREMENT_KINDS, type MeasurementKind } from './measurement-kinds.catalogue.js';
import { ACTIVITY_HOUR_COLUMNS, READING_BASE_COLUMNS, READING_CATALOGUE } from './reading-columns.catalogue.js';

/** A piece of SQL with `?` placeholders and its parameters, in order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** The columns of a normalised reading the writer needs to know about; the rest are the catalogue's columns. */
export interface ReadingInput {
  upstream_id: string;
  /** ISO 8601 UTC. */
  measured_at: string;
  device_type: string;
}

/** An activity day's hours, each the values of `ACTIVITY_HOUR_COLUMNS` in order; null: none sent. */
interface ActivityInput extends ReadingInput {
  hourly: (readonly number[])[] | null;
}

/** What one batch did to the kind's table. */
export interface WriteOutcome {
  inserted: number;
  updated: number;
}

/** What one page did, with the rows it inserted or changed (an unchanged replayed row is not among them). */
export interface PageWriteOutcome extends WriteOutcome {
  written: readonly UpsertedRow[];
}

/** A row an upsert inserted or changed. */
export interface UpsertedRow {
  id: string;
  upstream_id: string;
  inserted: boolean;
}

/** Who may see a participant's readings, as a condition on the participant ID column it is given. */
export type ReadableCondition = (participantColumn: string) => SqlFragment;

/** A portal period query's row: the columns every reading has, then the kind's `portalField`s. */
export interface PortalReadingRow {
  id: string;
  measuredAt: Date;
  localTime: string;
  deviceType: string;
  [portalField: string]: unknown;
}

/** A device a participant's readings came from, with the first and last measurement times from it. */
export interface DeviceSeen {
  deviceType: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** Readings of one group for a download: optionally only some participants and a time range [from, to). */
export interface DownloadScope {
  /** The group's internal ID. */
  groupUuid: string;
  /** The group's public ID, written in every row. */
  groupId: string;
  /** Internal participant IDs; absent: every consented participant of the group. */
  participantIds?: string[];
  from?: Date;
  to?: Date;
}

/** Readings of one group with change sequence numbers in (afterSeq, upToSeq], for a delivery. */
export interface ChangeScope {
  groupUuid: string;
  /** The group's public ID, written in every row. */
  groupId: string;
  afterSeq: string;
  upToSeq: string;
}

/** A row of `timelinePage`: the reading's kind and ID, its measured_at in microseconds (for a cursor) and its API JSON. */
export interface TimelineRow {
  kind: MeasurementKind;
  id: string;
  cursor_time: string;
  reading: unknown;
}

const quote = (name: string): string => `"${name}"`;

/** ISO 8601 UTC with milliseconds, the API's one timestamp format (`2026-11-23T10:00:05.000Z`). */
export function isoUtcSql(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** `+09:00` / `-05:30` from an offset in seconds. */
function offsetSql(seconds: string): string {
  return `(case when ${seconds} < 0 then '-' else '+' end || lpad((abs(${seconds}) / 3600)::text, 2, '0') || ':' || lpad((abs(${seconds}) % 3600 / 60)::text, 2, '0'))`;
}

const HOUR_COLUMNS = ACTIVITY_HOUR_COLUMNS.map(({ column }) => `h.${quote(column)}`).join(', ');

/** An activity day's hours in the API's JSON; they live in their own table. */
const ACTIVITY_HOURS_JSON = `(select coalesce(json_agg(json_build_object(${ACTIVITY_HOUR_COLUMNS.map(({ apiField, column }) => `'${apiField}', h.${quote(column)}`).join(', ')}) order by h.hour), '[]'::json)
        from activity_hourly_reading h where h.activity_id = r.id)`;

/**
 * The API's JSON of one reading, built by PostgreSQL (`r` the reading; its participant's OGSC ID from
 * libs/participants' `ogscIdSql`): the instant in UTC, the participant's local time with its offset, the change sequence, and the kind's typed values.
 */
function readingJsonSql(kind: MeasurementKind): string {
  const fields: [string, string][] = [
    ['kind', `'${kind}'`],
    ['ogscId', ogscIdSql('r.participant_id')],
    ['upstreamId', 'r.upstream_id::text'],
    ['changeSeq', 'r.change_seq'],
    ['measuredAt', isoUtcSql('r.measured_at')],
    ['measuredAtLocal', `r.local_time || ${offsetSql('r.utc_offset_seconds')}`],
    ['utcOffsetSeconds', 'r.utc_offset_seconds'],
    ['deviceType', 'r.device_type'],
    ['createdAt', isoUtcSql('r.created_at')],
    ['updatedAt', isoUtcSql('r.updated_at')],
    // IDs (bigint) go out as strings, as `upstreamId` does.
    ...READING_CATALOGUE[kind].map(({ apiField, column, sqlType }): [string, string] => [
      apiField,
      sqlType === 'bigint' ? `r.${column}::text` : `r.${column}`,
    ]),
    ...(kind === 'activity' ? [['hourly', ACTIVITY_HOURS_JSON] as [string, string]] : []),
  ];
  return `json_build_object(${fields.map(([name, expression]) => `'${name}', ${expression}`).join(', ')})`;
}

/** Device types seen in a page, with the first and last measurement time of each, in device type order. */
function devicesSeen(rows: readonly ReadingInput[]): { device_type: string; first: string; last: string }[] {
  const devices = new Map<string, { device_type: string; first: string; last: string }>();
  for (const row of rows) {
    if (!row.device_type) continue;
    const seen = devices.get(row.device_type);
    if (!seen) devices.set(row.device_type, { device_type: row.device_type, first: row.measured_at, last: row.measured_at });
    else {
      if (row.measured_at < seen.first) seen.first = row.measured_at;
      if (row.measured_at > seen.last) seen.last = row.measured_at;
    }
  }
  // In one order for every writer: pages of several kinds of one participant are written at once, and rows
  // locked in different orders could deadlock.
  return [...devices.values()].sort((a, b) => (a.device_type < b.device_type ? -1 : a.device_type > b.device_type ? 1 : 0));
}

/**
 * A CTE (for the page's upsert, whose `$1` is the participant) recording the devices `devices` (their JSON, as
 * `devicesSeen` gives them) in `participant_device`: first and last sighting widened, untouched rows not rewritten.
 */
function recordDevicesCte(devices: string): string {
  return `devices as (
       insert into "participant_device" as d ("participant_id", "device_type", "first_seen_at", "last_seen_at")
       select $1::uuid, i."device_type", i."first", i."last"
         from jsonb_to_recordset(${devices}) as i("device_type" text, "first" timestamptz, "last" timestamptz)
        order by i."device_type"
       on conflict ("participant_id", "device_type") do update set
         "first_seen_at" = least(d."first_seen_at", excluded."first_seen_at"), "last_seen_at" = greatest(d."last_seen_at", excluded."last_seen_at")
       where excluded."first_seen_at" < d."first_seen_at" or excluded."last_seen_at" > d."last_seen_at")`;
}

function tableOf(kind: MeasurementKind): string {
  return MEASUREMENT_KINDS[kind].table;
}

/**
 * One page of the change feed as one statement, so all kinds are read in one snapshot. With `upTo`, only rows
 * at or below it: give it `changeHorizon`, taken before this statement starts, and no row that commits later can
 * have a smaller `change_seq` than one handed out, so "after N, in order" never skips a row.
 *
 * Each kind contributes at most `limit` candidates through its unique `change_seq` index; only the first
 * `limit` overall are turned into JSON. Exported for the change-feed benchmark's bare-SQL baseline.
 */
export function changeFeedSql(input: {
  since: number;
  upTo?: string;
  limit: number;
  kinds: readonly MeasurementKind[];
  readable: ReadableCondition;
}): SqlFragment {
  const kinds = input.kinds.length ? input.kinds : MEASUREMENT_KIND_NAMES;
  const params: unknown[] = [];
  const candidates = kinds.map((kind) => {
    const readable = input.readable('r.participant_id');
    const upTo = input.upTo === undefined ? '' : ' and r.change_seq <= ?::bigint';
    params.push(input.since, ...(input.upTo === undefined ? [] : [input.upTo]), ...readable.params, input.limit);
    return `(select r.change_seq, '${kind}'::text as kind, r.id from ${tableOf(kind)} r
              where r.change_seq > ?${upTo} and ${readable.sql} order by r.change_seq limit ?)`;
  });
  params.push(input.limit);
  const rendered = kinds.map(
    (kind) => `select c.change_seq, ${readingJsonSql(kind)} as reading
                 from picked c join ${tableOf(kind)} r on r.id = c.id
                where c.kind = '${kind}'`,
  );
  return {
    sql: `with picked as materialized (
            select change_seq, kind, id from (${candidates.join(' union all ')}) candidates order by change_seq limit ?)
          ${rendered.join(' union all ')}
          order by change_seq`,
    params,
  };
}

/** A portal row's value from PostgreSQL's: numbers (nullable ones stay null), text, flags. */
function portalValue(sqlType: string, nullable: boolean, value: unknown): unknown {
  if (sqlType === 'text') return String(value);
  if (sqlType === 'boolean') return Boolean(value);
  if (value === null || value === undefined) return nullable ? null : Number(value);
  return Number(value);
}

const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

/** A json column of objects: node-postgres parses json columns; a driver that hands over the text is read the same way. */
const jsonRows = (value: unknown): Record<string, unknown>[] =>
  typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>[]) : (value as Record<string, unknown>[]);

/**
 * Every query on the reading tables (one per kind, `activity_hourly_reading` and `participant_device`):
 * the sync's upsert, the API's pages and change feed, the CSV exports, the portal's period queries and the
 * withdrawal's deletion. Columns come from `READING_CATALOGUE`. Stateless: each method runs on the entity
 * manager it is given, so a caller's transaction covers it.
 */
@Injectable()
export class ReadingsRepository {
  // ── Writing (sync) ────────────────────────────────────────────────────────────────────────────────

  /**
   * Upserts one participant's normalised readings of a kind, with one statement whatever the page size (three
   * more for activity's hours): rows travel as one array literal per column, unnested side by side, and the
   * participant's devices are recorded in the same statement. `rows` must have unique upstream ids: ON CONFLICT
   * cannot touch the same row twice in one statement.
   *
   * A reading is updated only when a value really differs (`IS DISTINCT FROM`), so replaying a page changes
   * nothing; every inserted or changed row gets a new `change_seq`. Activity days bring their hourly rows:
   * when a day is new or changed (hours included), its hours are replaced with the ones received. The
   * participant's devices follow along. Must run inside the caller's transaction, after `lockChangeSequence(em)`
   * (which other writers do not wait for).
   */
  async upsertPage(
    em: EntityManager,
    participantId: string,
    kind: MeasurementKind,
    rows: readonly ReadingInput[],
  ): Promise<PageWriteOutcome> {
    if (rows.length === 0) return { inserted: 0, updated: 0, written: [] };
    const activity = kind === 'activity' ? (rows as readonly ActivityInput[]) : null;
    const hourlyChanged = activity ? await this.daysWithChangedHours(em, participantId, activity) : [];
    const upserted = await this.upsert(em, participantId, kind, rows, hourlyChanged);
    if (activity) await this.replaceHours(em, activity, upserted);
    const inserted = upserted.filter((row) => row.inserted).length;
    return { inserted, updated: upserted.length - inserted, written: upserted };
  }

  private async upsert(
    em: EntityManager,
    participantId: string,
    kind: MeasurementKind,
    rows: readonly ReadingInput[],
    hourlyChanged: string[],
  ): Promise<UpsertedRow[]> {
    const columns = [...READING_BASE_COLUMNS, ...READING_CATALOGUE[kind].map(({ column, sqlType }) => [column, sqlType] as const)];
    const names = columns.map(([name]) => quote(name));
    const compared = names.filter((name) => name !== '"upstream_id"');
    const changed = `(${compared.map((name) => `t.${name}`).join(', ')}) is distinct from (${compared.map((name) => `excluded.${name}`).join(', ')})`;
    // One array per column ($2 onwards), unnested side by side into rows; each goes as its array literal's text.
    const arrays = columns.map(([, type], index) => `$${index + 2}::${type}[]`);
    const params: unknown[] = [
      participantId,
      ...columns.map(([name, type]) =>
        arrayLiteral(
          rows.map((row) => {
            const value = (row as unknown as Record<string, unknown>)[name] ?? null;
            // A JSON value goes as its text: node-postgres would turn a list into a nested array.
            return type === 'jsonb' && value !== null ? JSON.stringify(value) : value;
          }),
        ),
      ),
    ];
    const hoursChanged = hourlyChanged.length > 0 ? ` or excluded."upstream_id" = any($${params.push(hourlyChanged)}::bigint[])` : '';
    // The participant's devices, in the same statement (one round trip less per page).
    const devices = devicesSeen(rows);
    const withDevices = devices.length > 0 ? `with ${recordDevicesCte(`$${params.push(JSON.stringify(devices))}::jsonb`)}\n      ` : '';
    // Sequence numbers follow measurement time within a page (the subquery is sorted before they are drawn).
    const sql = `${withDevices}insert into ${quote(tableOf(kind))} as t ("participant_id", ${names.join(', ')}, "change_seq", "created_at", "updated_at")
      select $1::uuid, ${names.map((name) => `i.${name}`).join(', ')}, ${NEXT_CHANGE_SEQ}, now(), now()
      from (select * from unnest(${arrays.join(', ')}) as r(${names.join(', ')}) order by r."measured_at", r."upstream_id") as i
      on conflict ("participant_id", "upstream_id") do update set
        ${compared.map((name) => `${name} = excluded.${name}`).join(', ')}, "change_seq" = excluded."change_seq", "updated_at" = now()
      where ${changed}${hoursChanged}
      returning t."id"::text as id, t."upstream_id"::text as upstream_id, (t.xmax = 0) as inserted`;
    return executeBound<UpsertedRow>(em, sql, params);
  }

  /** Upstream ids of stored days whose hours differ from the ones received. */
  private async daysWithChangedHours(em: EntityManager, participantId: string, rows: readonly ActivityInput[]): Promise<string[]> {
    const withHours = rows.filter((row) => row.hourly !== null).map((row) => ({ upstream_id: row.upstream_id, hourly: row.hourly }));
    if (withHours.length === 0) return [];
    const changed = await executeBound<{ upstream_id: string }>(
      em,
      `select i."upstream_id"::text as upstream_id
       from jsonb_to_recordset($1::jsonb) as i("upstream_id" bigint, "hourly" jsonb)
       join "activity_reading" a on a."participant_id" = $2::uuid and a."upstream_id" = i."upstream_id"
       where i."hourly" is distinct from (
         select coalesce(jsonb_agg(jsonb_build_array(${HOUR_COLUMNS}) order by h."hour"), '[]'::jsonb)
         from "activity_hourly_reading" h where h."activity_id" = a."id")`,
      [JSON.stringify(withHours), participantId],
    );
    return changed.map((row) => row.upstream_id);
  }

  /** The hours of every day just inserted or changed are replaced with the ones received. */
  private async replaceHours(em: EntityManager, rows: readonly ActivityInput[], upserted: UpsertedRow[]): Promise<void> {
    const hoursById = new Map(rows.map((row) => [row.upstream_id, row.hourly]));
    const days = upserted
      .map((row) => ({ id: row.id, hourly: hoursById.get(row.upstream_id) ?? null }))
      .filter((day): day is { id: string; hourly: NonNullable<ActivityInput['hourly']> } => day.hourly !== null);
    if (days.length === 0) return;
    await executeBound(em, `delete from "activity_hourly_reading" where "activity_id" = any($1::bigint[])`, [days.map((day) => day.id)]);
    await executeBound(
      em,
      `insert into "activity_hourly_reading" ("activity_id", ${ACTIVITY_HOUR_COLUMNS.map(({ column }) => quote(column)).join(', ')})
       select d."id", ${ACTIVITY_HOUR_COLUMNS.map(({ sqlType }, index) => `(h->>${index})::${sqlType}`).join(', ')}
       from jsonb_to_recordset($1::jsonb) as d("id" bigint, "hourly" jsonb), jsonb_array_elements(d."hourly") as h`,
      [JSON.stringify(days)],
    );
  }

  /**
   * The participant's wall-clock time (`YYYY-MM-DDTHH:mm:ss`) of their newest reading of a kind; null when none
   * is stored. The sync's next incremental pull starts from its date.
   */
  async newestLocalTime(em: EntityManager, participantId: string, kind: MeasurementKind): Promise<string | null> {
    const [newest] = await em.execute<{ local_time: string }[]>(
      `select "local_time" from "${tableOf(kind)}" where "participant_id" = ? order by "measured_at" desc limit 1`,
      [participantId],
    );
    return newest?.local_time ?? null;
  }

  // ── Deleting (withdrawal) ─────────────────────────────────────────────────────────────────────────

  /**
   * Deletes every reading and device of the participant in the caller's transaction; returns how many
   * readings (devices not counted) went. `activity_hourly_reading` goes with its daily row (foreign key cascade).
   */
  async deleteParticipantReadings(em: EntityManager, participantId: string): Promise<number> {
    let deleted = 0;
    for (const table of [...MEASUREMENT_KIND_NAMES.map(tableOf), 'participant_device']) {
      const result = await em
        .getConnection()
        .execute<{ affectedRows: number }>(
          `delete from "${table}" where participant_id = ?`,
          [participantId],
          'run',
          em.getTransactionContext(),
        );
      if (table !== 'participant_device') deleted += result.affectedRows;
    }
    return deleted;
  }

  // ── REST API ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * One page of a participant's readings of one kind in `[from, to)`, ordered by (measured_at, id) after the
   * cursor, as the API's JSON; `cursor_time` is the row's measured_at in microseconds for the next cursor.
   */
  async apiPage(
    em: EntityManager,
    input: {
      kind: MeasurementKind;
      participantId: string;
      from?: Date;
      to?: Date;
      after?: { measuredAt: string; id: string };
      limit: number;
    },
  ): Promise<{ id: string; cursor_time: string; reading: unknown }[]> {
    const conditions = ['r.participant_id = ?'];
    const params: unknown[] = [input.participantId];
    const where = (condition: string, ...values: unknown[]) => {
      conditions.push(condition);
      params.push(...values);
    };
    if (input.from) where('r.measured_at >= ?::timestamptz', input.from.toISOString());
    if (input.to) where('r.measured_at < ?::timestamptz', input.to.toISOString());
    if (input.after) where('(r.measured_at, r.id) > (?::timestamptz, ?::bigint)', input.after.measuredAt, input.after.id);
    params.push(input.limit);
    return em.execute(
      `select r.id, to_char(r.measured_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_time, ${readingJsonSql(input.kind)} as reading
            from ${tableOf(input.kind)} r
           where ${conditions.join(' and ')}
           order by r.measured_at, r.id limit ?`,
      params,
    );
  }

  /** One reading of a participant by its kind and OMRON ID, as the API's JSON; null when there is none. */
  async apiReading(em: EntityManager, kind: MeasurementKind, participantId: string, upstreamId: string): Promise<unknown> {
    const [row] = await em.execute<{ reading: unknown }[]>(
      `select ${readingJsonSql(kind)} as reading from ${tableOf(kind)} r
        where r.participant_id = ? and r.upstream_id = ?::bigint`,
      [participantId, upstreamId],
    );
    return row?.reading ?? null;
  }

  /**
   * A participant's readings of several kinds as one time line, as the API's JSON, ordered by (measured_at, kind
   * in catalogue order, id) from `start` on: the FHIR search's pages. Measured in `[from, to)`, outside each
   * `excluded` range. Each kind's branch walks its (participant_id, measured_at) index and stops at `limit`.
   */
  async timelinePage(
    em: EntityManager,
    input: {
      participantId: string;
      kinds: readonly MeasurementKind[];
      from?: Date;
      to?: Date;
      excluded?: readonly { from: Date; to: Date }[];
      /** Where the page starts: this reading itself when `inclusive`, otherwise the one after it. */
      start?: { measuredAt: string; kind: MeasurementKind; id: string; inclusive: boolean };
      /** Per kind, API fields of which a reading must have at least one value (not null); absent: every reading. */
      present?: Partial<Record<MeasurementKind, readonly string[]>>;
      limit: number;
    },
  ): Promise<TimelineRow[]> {
    if (input.kinds.length === 0) return [];
    const params: unknown[] = [];
    const startRank = input.start ? MEASUREMENT_KIND_NAMES.indexOf(input.start.kind) : -1;
    const branches = input.kinds.map((kind) => {
      const rank = MEASUREMENT_KIND_NAMES.indexOf(kind);
      const conditions: string[] = [];
      const where = (condition: string, ...values: unknown[]): void => {
        conditions.push(condition);
        params.push(...values);
      };
      where('r.participant_id = ?', input.participantId);
      if (input.from) where('r.measured_at >= ?::timestamptz', input.from.toISOString());
      if (input.to) where('r.measured_at < ?::timestamptz', input.to.toISOString());
      for (const range of input.excluded ?? []) {
        where('not (r.measured_at >= ?::timestamptz and r.measured_at < ?::timestamptz)', range.from.toISOString(), range.to.toISOString());
      }
      const present = input.present?.[kind];
      if (present?.length) {
        const columns = present.map((field) => {
          const value = READING_CATALOGUE[kind].find((candidate) => candidate.apiField === field);
          if (!value) throw new Error(`${kind} has no field ${field}`);
          return `r.${quote(value.column)} is not null`;
        });
        where(`(${columns.join(' or ')})`);
      }
      if (input.start) {
        // The keyset (measured_at, rank, id) as each branch's own index condition: its rank is a constant.
        const { measuredAt, id, inclusive } = input.start;
        if (rank < startRank) where('r.measured_at > ?::timestamptz', measuredAt);
        else if (rank > startRank) where('r.measured_at >= ?::timestamptz', measuredAt);
        else where(`(r.measured_at, r.id) ${inclusive ? '>=' : '>'} (?::timestamptz, ?::bigint)`, measuredAt, id);
      }
      params.push(input.limit);
      return `(select '${kind}'::text as kind, ${rank} as kind_rank, r.id, r.measured_at,
                to_char(r.measured_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_time, ${readingJsonSql(kind)} as reading
                from ${tableOf(kind)} r
               where ${conditions.join(' and ')} order by r.measured_at, r.id limit ?)`;
    });
    params.push(input.limit);
    return em.execute<TimelineRow[]>(
      `select kind, id::text as id, cursor_time, reading from (${branches.join(' union all ')}) timeline
        order by measured_at, kind_rank, id limit ?`,
      params,
    );
  }

  /**
   * One page of the change feed (`changeFeedSql`) up to the change horizon, as the API's JSON. Must not run
   * inside a REPEATABLE READ transaction: the page's snapshot has to be newer than the horizon.
   */
  async changeFeed(
    em: EntityManager,
    input: { since: number; limit: number; kinds: readonly MeasurementKind[]; readable: ReadableCondition },
  ): Promise<{ change_seq: string; reading: unknown }[]> {
    const upTo = await changeHorizon(em);
    if (Number(upTo) <= input.since) return [];
    const feed = changeFeedSql({ ...input, upTo });
    return em.execute(feed.sql, feed.params);
  }

  /** The devices a participant's readings came from, with their first and last measurement times (API format). */
  devicesOf(em: EntityManager, participantId: string): Promise<{ device_type: string; first_seen_at: string; last_seen_at: string }[]> {
    return em.execute(
      `select device_type, ${isoUtcSql('first_seen_at')} as first_seen_at, ${isoUtcSql('last_seen_at')} as last_seen_at
           from participant_device where participant_id = ? order by participant_device.first_seen_at, device_type`,
      [participantId],
    );
  }

  // ── SQL for other libs' aggregate statements ──────────────────────────────────────────────────────

  /**
   * Rows `(participant_id, created_at)` of every reading received since an instant, of all kinds, through
   * each table's BRIN index on `created_at`: for a statement that aggregates them (the dashboard's figures).
   */
  receivedSinceSql(since: string): SqlFragment {
    return {
      sql: MEASUREMENT_KIND_NAMES.map(
        (kind) => `select participant_id, created_at from ${tableOf(kind)} where created_at >= ?::timestamptz`,
      ).join(' union all '),
      params: MEASUREMENT_KIND_NAMES.map(() => since),
    };
  }

  /**
   * Rows `(kind, stored)`: how many readings of each kind a participant has, every kind in catalogue order. Each count
   * is a scalar subquery (an InitPlan run by the backend itself): written as a union of six aggregates, PostgreSQL
   * planned a Parallel Append with two workers on large reading tables without statistics yet (a launch day's
   * backfill), and launching them cost 40–50 ms against 1–7 ms for the counts (measured during `sync-freshness 1000`).
   */
  storedCountsSql(participantId: string): SqlFragment {
    return {
      sql: MEASUREMENT_KIND_NAMES.map(
        (kind) => `select '${kind}'::text as kind, (select count(*) from "${tableOf(kind)}" where "participant_id" = ?)::int as stored`,
      ).join(' union all '),
      params: MEASUREMENT_KIND_NAMES.map(() => participantId),
    };
  }

  /**
   * Rows `(participant_id, day, readings, bp_readings, systolic_sum, diastolic_sum)`, one per participant and
   * local day (the date of `local_time`, the participant's wall clock as OMRON sent it) that has any: `readings`
   * counts the readings of the `counted` kinds, the other three the blood-pressure readings with values
   * (possible-AFib readings come without) and their sums. One participant's (through the (participant_id,
   * measured_at) indexes), or everyone's with null (a rebuild). For a room that keeps a summary by day or month
   * (libs/insights). `bind`: `?` placeholders, one per kind (for `em.execute`), or a numbered one such as `$1`,
   * used by every kind, whose one parameter is the participant (for a statement sent with bind parameters, which
   * can be prepared).
   */
  dailySummarySql(participantId: string | null, counted: readonly MeasurementKind[], bind = '?'): SqlFragment {
    const kinds = MEASUREMENT_KIND_NAMES.filter((kind) => counted.includes(kind) || kind === 'blood_pressure');
    const parts = kinds.map((kind) => {
      const readings = counted.includes(kind) ? 'count(*)' : '0';
      const bp =
        kind === 'blood_pressure'
          ? `count(r."systolic_mmhg" + r."diastolic_mmhg"), coalesce(sum(r."systolic_mmhg") filter (where r."diastolic_mmhg" is not null), 0), coalesce(sum(r."diastolic_mmhg") filter (where r."systolic_mmhg" is not null), 0)`
          : '0, 0, 0';
      const where = participantId === null ? '' : ` where r."participant_id" = ${bind}::uuid`;
      return `(select r."participant_id", left(r."local_time", 10) as day, ${readings} as readings, ${bp} from "${tableOf(kind)}" r${where} group by 1, 2)`;
    });
    return {
      sql: `select d.participant_id, d.day::date as day, sum(d.readings)::int as readings, sum(d.bp_readings)::int as bp_readings,
              sum(d.systolic_sum)::bigint as systolic_sum, sum(d.diastolic_sum)::bigint as diastolic_sum
            from (${parts.join(' union all ')}) as d(participant_id, day, readings, bp_readings, systolic_sum, diastolic_sum)
            group by d.participant_id, d.day`,
      params: participantId === null ? [] : bind === '?' ? kinds.map(() => participantId) : [participantId],
    };
  }

  // ── CSV exports ───────────────────────────────────────────────────────────────────────────────────

  /**
   * A download's CSV lines, ordered by participant, time and ID, made by PostgreSQL (`csv-pages.ts`) and streamed
   * in one COPY. On a server without COPY TO STDOUT (PGlite), page by page instead: keyset pagination on the
   * (participant_id, measured_at) index, so page 500 costs what page 1 does.
   */
  async *downloadCsv(
    em: EntityManager,
    kind: ExportKind,
    scope: DownloadScope,
    format: CsvLineFormat,
    pageSize: number,
  ): AsyncGenerator<CsvChunk> {
    const conditions: string[] = [];
    if (scope.participantIds) {
      if (scope.participantIds.length === 0) return;
      conditions.push(`r.participant_id = any(array[${scope.participantIds.map(literal).join(', ')}]::uuid[])`);
    }
    if (scope.from) conditions.push(`r.measured_at >= ${literal(scope.from.toISOString())}::timestamptz`);
    if (scope.to) conditions.push(`r.measured_at < ${literal(scope.to.toISOString())}::timestamptz`);
    // An hourly row is keyed by its day's (participant, time, ID) and its hour.
    const hourly = kind === 'activity_hourly';
    const order = `order by r.participant_id, r.measured_at, r.id${hourly ? ', h.hour' : ''}`;
    const pool = await poolOf(em);
    if (await copySupported(pool)) {
      const inner = `${exportQuery(kind, format.timeZone, scope, '1 as k0')} ${conditions.length ? `where ${conditions.join(' and ')}` : ''} ${order}`;
      yield* streamCsv(pool, csvLineQuery(inner, exportColumns(kind), 0, format.escapeFormulas));
      return;
    }
    const keyset = ([participant, measuredAt, id, hour]: string[]): string =>
      hourly
        ? `(r.participant_id, r.measured_at, r.id, h.hour) > (${literal(participant)}::uuid, ${literal(measuredAt)}::timestamptz, ${literal(id)}::bigint, ${literal(hour)}::smallint)`
        : `(r.participant_id, r.measured_at, r.id) > (${literal(participant)}::uuid, ${literal(measuredAt)}::timestamptz, ${literal(id)}::bigint)`;
    const keys = `r.participant_id::text as k0, r.measured_at::text as k1, r.id::text as k2${hourly ? ', h.hour::text as k3' : ''}`;
    const keyCount = hourly ? 4 : 3;
    let after: string[] | null = null;
    for (;;) {
      const where = after ? [...conditions, keyset(after)] : conditions;
      const inner = `${exportQuery(kind, format.timeZone, scope, keys)} ${where.length ? `where ${where.join(' and ')}` : ''} ${order} limit ${pageSize}`;
      const page = await csvPage(em, csvLineQuery(inner, exportColumns(kind), keyCount, format.escapeFormulas), false);
      if (page.rows === 0) return;
      yield page;
      if (page.rows < pageSize) return;
      after = page.keys[0];
    }
  }

  /**
   * A delivery's CSV lines of one group, page by page in change sequence order (keyset on its unique index);
   * `keys[i][0]` is row i's change_seq. Hourly rows carry their day's change_seq, so they page on (change_seq, hour).
   */
  async *changeCsvPages(
    em: EntityManager,
    kind: ExportKind,
    scope: ChangeScope,
    format: CsvLineFormat,
    pageSize: number,
  ): AsyncGenerator<CsvPage> {
    const hourly = kind === 'activity_hourly';
    let after = [scope.afterSeq];
    for (;;) {
      const from =
        after.length === 2
          ? `(r.change_seq, h.hour) > (${literal(after[0])}::bigint, ${literal(after[1])}::smallint)`
          : `r.change_seq > ${literal(after[0])}::bigint`;
      const keys = `r.change_seq::text as k0${hourly ? ', h.hour::text as k1' : ''}`;
      const inner = `${exportQuery(kind, format.timeZone, scope, keys)}
        where ${from} and r.change_seq <= ${literal(scope.upToSeq)}::bigint order by r.change_seq${hourly ? ', h.hour' : ''} limit ${pageSize}`;
      const page = await csvPage(em, csvLineQuery(inner, exportColumns(kind), hourly ? 2 : 1, format.escapeFormulas), true);
      if (page.rows === 0) return;
      yield page;
      if (page.rows < pageSize) return;
      after = page.keys.at(-1)!;
    }
  }

  /**
   * The change horizon (`changeHorizon`): every reading at or below it is committed already, or never will be.
   * Writers are not held up for it.
   */
  committedChangeSeq(em: EntityManager): Promise<string> {
    return changeHorizon(em);
  }

  // ── Portal data views ─────────────────────────────────────────────────────────────────────────────

  /** The newest reading's time per kind (null: none ever). */
  async latestTimes(em: EntityManager, participantId: string): Promise<Record<MeasurementKind, unknown>> {
    const [row] = await em.execute<Record<string, unknown>[]>(
      `select ${MEASUREMENT_KIND_NAMES.map(
        (kind) => `(select max(measured_at) from ${tableOf(kind)} where participant_id = ?) as ${kind}`,
      ).join(', ')}`,
      MEASUREMENT_KIND_NAMES.map(() => participantId),
    );
    return row as Record<MeasurementKind, unknown>;
  }

  /**
   * How many readings (of every kind) each participant has measured in their window `[from, to]`: one statement,
   * each count a range scan of the tables' (participant_id, measured_at) index (the alerts room's "used to
   * measure" for a few silent participants; never a scan of the tables).
   */
  async countsMeasuredBetween(
    em: EntityManager,
    windows: readonly { participantId: string; from: Date; to: Date }[],
  ): Promise<Map<string, number>> {
    if (windows.length === 0) return new Map();
    const rows = await em.execute<{ participant_id: string; count: string }[]>(
      `select w.participant_id, (${MEASUREMENT_KIND_NAMES.map(
        (kind) =>
          `(select count(*) from "${tableOf(kind)}" r where r.participant_id = w.participant_id and r.measured_at between w.from_at and w.to_at)`,
      ).join(' + ')})::text as count
         from unnest(?::uuid[], ?::timestamptz[], ?::timestamptz[]) as w(participant_id, from_at, to_at)`,
      [
        `{${windows.map((w) => w.participantId).join(',')}}`,
        `{${windows.map((w) => w.from.toISOString()).join(',')}}`,
        `{${windows.map((w) => w.to.toISOString()).join(',')}}`,
      ],
    );
    return new Map(rows.map((row) => [row.participant_id, Number(row.count)]));
  }

  /** When the participant's newest reading (of any kind) was stored or last changed; null: none stored. */
  async lastStoredAt(em: EntityManager, participantId: string): Promise<Date | null> {
    const [row] = await em.execute<{ at: Date | null }[]>(
      `select max(at) as at from (${MEASUREMENT_KIND_NAMES.map(
        (kind) => `select max(updated_at) as at from "${tableOf(kind)}" where participant_id = ?`,
      ).join(' union all ')}) latest`,
      MEASUREMENT_KIND_NAMES.map(() => participantId),
    );
    return row?.at ? toDate(row.at) : null;
  }

  /**
   * The newest `limit` readings of a kind (measured in `[from, to)` when given), newest first, through the
   * table's (participant_id, measured_at) index; values by the catalogue's `portalField`.
   */
  async portalPeriod(
    em: EntityManager,
    kind: MeasurementKind,
    participantId: string,
    period: { from?: Date; to?: Date; limit: number },
  ): Promise<PortalReadingRow[]> {
    const values = READING_CATALOGUE[kind].filter((value) => value.portalField !== null);
    const conditions = ['participant_id = ?'];
    const params: unknown[] = [participantId];
    if (period.from) {
      conditions.push('measured_at >= ?::timestamptz');
      params.push(period.from.toISOString());
    }
    if (period.to) {
      conditions.push('measured_at < ?::timestamptz');
      params.push(period.to.toISOString());
    }
    const rows = await em.execute<Record<string, unknown>[]>(
      `select id, measured_at, local_time, device_type, ${values.map((value) => value.column).join(', ')} from ${tableOf(kind)}
        where ${conditions.join(' and ')}
        order by measured_at desc, id desc limit ?`,
      [...params, period.limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      measuredAt: toDate(row.measured_at),
      localTime: String(row.local_time),
      deviceType: String(row.device_type),
      ...Object.fromEntries(values.map((value) => [value.portalField, portalValue(value.sqlType, value.nullable, row[value.column])])),
    }));
  }

  /**
   * The participant page's readings in one statement (one round trip instead of one per kind and one for the latest
   * times): per kind, `portalPeriod`'s rows for its period (the same index, order and limit), and the newest reading's
   * time per kind (null: none ever). Each kind's rows travel as one JSON array, which the driver hands over parsed
   * in one go instead of field by field.
   */
  async portalPeriods(
    em: EntityManager,
    participantId: string,
    periods: Record<MeasurementKind, { from: Date; to: Date; limit: number }>,
  ): Promise<{ latest: Record<MeasurementKind, Date | null>; rows: Record<MeasurementKind, PortalReadingRow[]>; devices: DeviceSeen[] }> {
    const params: unknown[] = [];
    const columns = MEASUREMENT_KIND_NAMES.flatMap((kind) => {
      const values = READING_CATALOGUE[kind].filter((value) => value.portalField !== null);
      const { from, to, limit } = periods[kind];
      params.push(participantId, participantId, from.toISOString(), to.toISOString(), limit);
      return [
        `(select max(measured_at) from ${tableOf(kind)} where participant_id = ?) as "latest_${kind}"`,
        `(select coalesce(json_agg(r order by r.measured_at desc, r.id::bigint desc), '[]') from (
           select id::text as id, measured_at, local_time, device_type, ${values.map((value) => value.column).join(', ')} from ${tableOf(kind)}
            where participant_id = ? and measured_at >= ?::timestamptz and measured_at < ?::timestamptz
            order by measured_at desc, id desc limit ?) r) as "rows_${kind}"`,
      ];
    });
    // The devices seen, newest sighting first, ride along: the page shows them too.
    columns.push(
      `(select coalesce(json_agg(d order by d.last_seen_at desc), '[]') from (
         select device_type, first_seen_at, last_seen_at from participant_device where participant_id = ?) d) as "devices"`,
    );
    params.push(participantId);
    const [row] = await em.execute<Record<string, unknown>[]>(`select ${columns.join(',\n ')}`, params);
    const latest = {} as Record<MeasurementKind, Date | null>;
    const rows = {} as Record<MeasurementKind, PortalReadingRow[]>;
    for (const kind of MEASUREMENT_KIND_NAMES) {
      const values = READING_CATALOGUE[kind].filter((value) => value.portalField !== null);
      const at = row[`latest_${kind}`];
      latest[kind] = at === null || at === undefined ? null : toDate(at);
      rows[kind] = jsonRows(row[`rows_${kind}`]).map((reading) => ({
        id: String(reading.id),
        measuredAt: toDate(reading.measured_at),
        localTime: String(reading.local_time),
        deviceType: String(reading.device_type),
        ...Object.fromEntries(
          values.map((value) => [value.portalField, portalValue(value.sqlType, value.nullable, reading[value.column])]),
        ),
      }));
    }
    return {
      latest,
      rows,
      devices: jsonRows(row.devices).map((device) => ({
        deviceType: String(device.device_type),
        firstSeenAt: toDate(device.first_seen_at),
        lastSeenAt: toDate(device.last_seen_at),
      })),
    };
  }

  /**
   * The participant page's two details in one statement: one activity day's hours (oldest first, each with the
   * catalogue's `portalField`s) and one ECG recording's waveform, each only when asked for and only if the row is the
   * participant's (`ecgId` must be a bigint's digits). Either may be null: then none is read.
   */
  async portalDetail(
    em: EntityManager,
    participantId: string,
    ask: { activityId: string | null; ecgId: string | null },
  ): Promise<{ hours: Record<string, unknown>[]; waveform: number[] | null }> {
    const params: unknown[] = [];
    let hours = `'[]'::json`;
    if (ask.activityId !== null) {
      hours = `(select coalesce(json_agg(json_build_object(${ACTIVITY_HOUR_COLUMNS.map(({ column }) => `'${column}', h.${quote(column)}`).join(', ')}) order by h.hour), '[]'::json)
                 from activity_hourly_reading h join activity_reading a on a.id = h.activity_id
                where h.activity_id = ? and a.participant_id = ?)`;
      params.push(ask.activityId, participantId);
    }
    let waveform = 'null::int[]';
    if (ask.ecgId !== null) {
      waveform = `(select waveform_uv from ecg_reading where id = ? and participant_id = ?)`;
      params.push(ask.ecgId, participantId);
    }
    const [row] = await em.execute<{ hours: Record<string, unknown>[] | string; waveform: number[] | null }[]>(
      `select ${hours} as hours, ${waveform} as waveform`,
      params,
    );
    return {
      hours: jsonRows(row.hours).map((hour) =>
        Object.fromEntries(
          ACTIVITY_HOUR_COLUMNS.map((value) => [value.portalField, portalValue(value.sqlType, value.nullable, hour[value.column])]),
        ),
      ),
      waveform: row.waveform,
    };
  }
}

/**
 * The SQL shared by downloads and deliveries: the kind's export columns (as c0…cN) of consented members of one
 * group (libs/participants' SQL), then `keys`. Values are inlined as literals: COPY takes no bind parameters.
 */
function exportQuery(kind: ExportKind, timeZone: string, group: { groupUuid: string; groupId: string }, keys: string): string {
  const select = exportColumns(kind)
    .map((column, index) => `${column.sql.replaceAll('?', literal(timeZone))} as c${index}`)
    .join(', ');
  // `r` is the reading; for hourly rows the activity day, `h` each of its hours.
  const from =
    kind === 'activity_hourly' ? `${tableOf('activity')} r join activity_hourly_reading h on h.activity_id = r.id` : `${tableOf(kind)} r`;
  // Withdrawn participants are left out: only a consented member of the group joins.
  return `select ${select}, ${keys}
    from ${from}
    join (${consentedMembersSql(`${literal(group.groupUuid)}::uuid`)}) m on m.participant_id = r.participant_id
    cross join (select ${literal(group.groupId)}::text as group_id) g`;
}
