import type { EntityManager, PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import copyStreams from 'pg-copy-streams';
import type { ColumnType, ExportColumn } from './export-columns.catalogue.js';

/**
 * CSV export lines made by PostgreSQL and streamed out with `COPY … TO STDOUT (FORMAT binary)`: Node only copies
 * bytes, where building each cell in JavaScript took most of an export's time. Binary rather than CSV format
 * because our files end lines in CRLF and write NULL and '' alike, which COPY's CSV format cannot do; each line
 * travels as one length-prefixed field, so nothing in it is escaped twice.
 */

/** How the cells are written: the environment's time zone, and whether text cells are formula-escaped. */
export interface CsvLineFormat {
  timeZone: string;
  escapeFormulas: boolean;
}

/** CSV lines, each ending in CRLF, as UTF-8 bytes, and how many. */
export interface CsvChunk {
  csv: Buffer;
  rows: number;
}

/**
 * A page of CSV lines. `ends[i]` is where line `i` ends (after its CRLF); `keys` holds the extra columns of each
 * row (all rows, or only the last when asked so).
 */
export interface CsvPage extends CsvChunk {
  ends: number[];
  keys: string[][];
}

const CRLF = Buffer.from('\r\n');

/** `+09:00` / `-05:30` from an offset in seconds (hours padded to two digits, never cut). */
function offsetCell(seconds: string): string {
  const hours = `(abs(${seconds}) / 3600)`;
  const minutes = `(abs(${seconds}) % 3600 / 60)`;
  const padded = (value: string) => `case when ${value} < 10 then '0' else '' end || ${value}::text`;
  return `case when ${seconds} < 0 then '-' else '+' end || ${padded(hours)} || ':' || ${padded(minutes)}`;
}

/** Quoted, inner quotes doubled, only when holding a quote, a comma or a line break (RFC 4180). */
function quoted(value: string): string {
  return `case when ${value} ~ '[",\\r\\n]' then '"' || replace(${value}, '"', '""') || '"' else ${value} end`;
}

/** One cell's SQL from the column's raw value `value` (already a subquery column, so repeating it costs nothing). */
function cellSql(type: ColumnType, value: string, escapeFormulas: boolean): string {
  switch (type) {
    case 'text':
      return escapeFormulas
        ? `coalesce(case when ${value} ~ '^[=+@\\t\\r-]' then ${quoted(`'''' || ${value}`)} else ${quoted(value)} end, '')`
        : `coalesce(${quoted(value)}, '')`;
    case 'json':
      return `coalesce(${quoted(value)}, '')`;
    case 'offset':
      return `coalesce(${offsetCell(value)}, '')`;
    default:
      // Numbers, booleans and formatted times never hold a quote, a comma or a line break.
      return `coalesce(${value}, '')`;
  }
}

/**
 * Wraps a query selecting `columns` (as c0…cN) and then `keys` (as k0…kM) into one selecting the CSV line and
 * the keys. The inner query must have a LIMIT or OFFSET, so PostgreSQL evaluates each raw value once, not once
 * per use. Text cells starting like a spreadsheet formula (= + - @ tab CR) get a `'` in front when
 * `escapeFormulas` (OWASP "CSV injection"; `escapeFormula` in libs/csv says the same in JavaScript).
 */
export function csvLineQuery(inner: string, columns: ExportColumn[], keyCount: number, escapeFormulas: boolean): string {
  const cells = columns.map((column, index) => cellSql(column.type, `c${index}`, escapeFormulas));
  const keys = Array.from({ length: keyCount }, (_, index) => `, k${index}`).join('');
  return `select concat_ws(',', ${cells.join(', ')})${keys} from (${inner}) page`;
}

/** A SQL string literal (COPY takes no bind parameters). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Parses `COPY … (FORMAT binary)` output whose rows are (line, key…): the lines joined with CRLF, and the keys of
 * every row (`allKeys`) or only of the last.
 */
export function parseBinaryCopy(data: Buffer, allKeys: boolean): CsvPage {
  if (data.length === 0) return { csv: Buffer.alloc(0), rows: 0, ends: [], keys: [] };
  // Header: 11-byte signature, flags, header extension length and extension.
  let position = 11 + 4;
  position += 4 + data.readUInt32BE(position);
  const starts: number[] = [];
  const lengths: number[] = [];
  const keys: string[][] = [];
  let lastRow = position;
  for (;;) {
    const fields = data.readInt16BE(position);
    if (fields === -1) break;
    lastRow = position;
    position += 2;
    const length = data.readInt32BE(position);
    starts.push(position + 4);
    lengths.push(length);
    position += 4 + length;
    if (allKeys) {
      const row: string[] = [];
      for (let field = 1; field < fields; field++) {
        const size = data.readInt32BE(position);
        row.push(data.toString('utf8', position + 4, position + 4 + size));
        position += 4 + size;
      }
      keys.push(row);
    } else {
      for (let field = 1; field < fields; field++) position += 4 + data.readInt32BE(position);
    }
  }
  if (!allKeys && starts.length > 0) keys.push(parseRowKeys(data, lastRow));
  let total = 0;
  for (const length of lengths) total += length + 2;
  const csv = Buffer.allocUnsafe(total);
  const ends = new Array<number>(lengths.length);
  let at = 0;
  for (let index = 0; index < lengths.length; index++) {
    at += data.copy(csv, at, starts[index], starts[index] + lengths[index]);
    at += CRLF.copy(csv, at);
    ends[index] = at;
  }
  return { csv, rows: ends.length, ends, keys };
}

function parseRowKeys(data: Buffer, row: number): string[] {
  const fields = data.readInt16BE(row);
  let position = row + 2;
  position += 4 + data.readInt32BE(position);
  const keys: string[] = [];
  for (let field = 1; field < fields; field++) {
    const size = data.readInt32BE(position);
    keys.push(data.toString('utf8', position + 4, position + 4 + size));
    position += 4 + size;
  }
  return keys;
}

/** The same page from a plain query's rows (line, key…), for servers without COPY TO STDOUT (PGlite). */
function pageOfRows(rows: string[][], allKeys: boolean): CsvPage {
  const csv = Buffer.from(rows.map((row) => `${row[0]}\r\n`).join(''));
  const ends = new Array<number>(rows.length);
  let at = 0;
  for (let index = 0; index < rows.length; index++) ends[index] = at += Buffer.byteLength(rows[index][0]) + 2;
  const keys = (allKeys ? rows : rows.slice(-1)).map((row) => row.slice(1));
  return { csv, rows: rows.length, ends, keys };
}

/** Whether each pool's server runs COPY TO STDOUT: PGlite (the embedded database of `npm start`) does not. */
const copySupport = new WeakMap<Pool, Promise<boolean>>();

export function copySupported(pool: Pool): Promise<boolean> {
  let known = copySupport.get(pool);
  if (!known) {
    known = pool.query<{ version: string }>('select version() as version').then(({ rows }) => !/pglite/i.test(rows[0].version));
    copySupport.set(pool, known);
  }
  return known;
}

async function copyOut(client: PoolClient, sql: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyStreams.to(`copy (${sql}) to stdout (format binary)`))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The ORM's own pg pool. */
export async function poolOf(em: EntityManager): Promise<Pool> {
  return (await (em.getConnection() as PostgreSqlConnection).getNativeClient()) as unknown as Pool;
}

/** Runs a page query (line, key…) on the ORM's own pool and returns its CSV page. */
export async function csvPage(em: EntityManager, sql: string, allKeys: boolean): Promise<CsvPage> {
  const pool = await poolOf(em);
  if (!(await copySupported(pool))) {
    const result = await pool.query<string[]>({ text: sql, rowMode: 'array', types: { getTypeParser: () => (value: string) => value } });
    return pageOfRows(result.rows, allKeys);
  }
  const client = await pool.connect();
  try {
    const page = parseBinaryCopy(await copyOut(client, sql), allKeys);
    client.release();
    return page;
  } catch (error) {
    // A COPY cut short leaves the connection in an unknown state: drop it rather than reuse it.
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/**
 * Lines of a whole query (one column: the line) in one COPY, as they arrive: PostgreSQL keeps producing while
 * Node writes, and a slow reader slows the COPY down (the stream is read only as fast as it is consumed).
 */
export async function* streamCsv(pool: Pool, sql: string): AsyncGenerator<CsvChunk> {
  const client = await pool.connect();
  let done = false;
  try {
    const parser = new BinaryLines();
    for await (const chunk of client.query(copyStreams.to(`copy (${sql}) to stdout (format binary)`))) {
      const lines = parser.push(chunk as Buffer);
      if (lines.rows > 0) yield lines;
    }
    done = true;
  } finally {
    // A COPY left unfinished (the reader went away, or it failed) leaves the connection mid-protocol: drop it.
    client.release(done ? undefined : true);
  }
}

/** Turns `COPY … (FORMAT binary)` output of one-column rows into CRLF-ended lines, across chunk boundaries. */
class BinaryLines {
  private rest: Buffer = Buffer.alloc(0);
  private headerRead = false;

  push(chunk: Buffer): CsvChunk {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let position = 0;
    if (!this.headerRead) {
      if (data.length < 19 || data.length < 19 + data.readUInt32BE(15)) return this.keep(data, 0);
      position = 19 + data.readUInt32BE(15);
      this.headerRead = true;
    }
    const starts: number[] = [];
    const lengths: number[] = [];
    let total = 0;
    while (data.length - position >= 6) {
      if (data.readInt16BE(position) === -1) {
        position = data.length;
        break;
      }
      const length = data.readInt32BE(position + 2);
      if (data.length - position - 6 < length) break;
      starts.push(position + 6);
      lengths.push(length);
      total += length + 2;
      position += 6 + length;
    }
    const csv = Buffer.allocUnsafe(total);
    let at = 0;
    for (let index = 0; index < starts.length; index++) {
      at += data.copy(csv, at, starts[index], starts[index] + lengths[index]);
      at += CRLF.copy(csv, at);
    }
    this.keep(data, position);
    return { csv, rows: starts.length };
  }

  private keep(data: Buffer, from: number): CsvChunk {
    // A copy, so the chunk it came from can be collected.
    this.rest = Buffer.from(data.subarray(from));
    return { csv: Buffer.alloc(0), rows: 0 };
  }
}
