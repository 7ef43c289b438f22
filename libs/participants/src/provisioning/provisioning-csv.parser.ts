import { parse } from 'csv-parse/sync';
import { internalCustomerIdProblem, normaliseInternalCustomerId } from '../internal-customer-id.rules.js';

/** One bulk upload creates at most this many participants (each costs an argon2id hash, about 20 ms of CPU). */
export const MAX_PROVISION_ROWS = 1000;
/** Upload size limit for the CSV file itself. */
export const MAX_PROVISION_CSV_BYTES = 512 * 1024;
/** The one column a provisioning CSV has (its header is required; values may be empty). */
export const PROVISIONING_CSV_COLUMN = 'internal_customer_id';

/** A problem with the input, on a given line of the file (or of the form), as a message key with parameters. */
export interface LineProblem {
  /** 1-based line in the file; null for problems with the file as a whole. */
  line: number | null;
  message: string;
  params?: Record<string, string | number>;
}

export interface ProvisionRow {
  /** The line in the uploaded file (or position in the request), for error messages. */
  line: number;
  internalCustomerId: string | null;
}

export type CsvParseResult = { ok: true; rows: ProvisionRow[] } | { ok: false; problems: LineProblem[] };

const LINE_BREAKS = /\r\n|\n|\r/g;

/**
 * Reads a provisioning CSV: a header line `internal_customer_id`, then one line per participant to create
 * (the value may be empty, `""`, for a participant without a customer ID). Every line is checked and every
 * problem reported with its line number; a file with any problem yields no rows at all.
 */
export function parseProvisioningCsv(text: string): CsvParseResult {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (error) {
    const line = typeof (error as { lines?: unknown }).lines === 'number' ? (error as { lines: number }).lines : null;
    return { ok: false, problems: [{ line, message: 'participants.csv_malformed' }] };
  }
  if (records.length === 0) return { ok: false, problems: [{ line: null, message: 'participants.csv_empty' }] };

  const [header, ...body] = records;
  const columns = header.record.map((name) => name.trim().toLowerCase());
  if (columns.length !== 1 || columns[0] !== PROVISIONING_CSV_COLUMN) {
    return {
      ok: false,
      problems: [{ line: startLine(header), message: 'participants.csv_header', params: { column: PROVISIONING_CSV_COLUMN } }],
    };
  }
  if (body.length === 0) return { ok: false, problems: [{ line: null, message: 'participants.csv_no_rows' }] };
  if (body.length > MAX_PROVISION_ROWS) {
    return { ok: false, problems: [{ line: null, message: 'participants.too_many_rows', params: { max: MAX_PROVISION_ROWS } }] };
  }

  const problems: LineProblem[] = [];
  const rows: ProvisionRow[] = [];
  for (const entry of body) {
    const line = startLine(entry);
    if (entry.record.length > 1) {
      problems.push({ line, message: 'participants.csv_extra_fields', params: { count: entry.record.length } });
      continue;
    }
    rows.push({ line, internalCustomerId: normaliseInternalCustomerId(entry.record[0]) });
  }
  problems.push(...rowProblems(rows));
  return problems.length > 0 ? { ok: false, problems: problems.sort(byLine) } : { ok: true, rows };
}

/**
 * Problems of rows about to be provisioned, without a database: each customer ID valid, and none twice in
 * the input (the second occurrence names the line of the first). Shared by the CSV upload, the form and the API.
 */
export function rowProblems(rows: ProvisionRow[]): LineProblem[] {
  const problems: LineProblem[] = [];
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    const problem = internalCustomerIdProblem(row.internalCustomerId);
    if (problem) {
      problems.push({ line: row.line, message: problem });
      continue;
    }
    if (row.internalCustomerId === null) continue;
    const seen = firstLine.get(row.internalCustomerId);
    if (seen !== undefined) {
      problems.push({ line: row.line, message: 'participants.customer_id_repeated', params: { first: seen } });
    } else {
      firstLine.set(row.internalCustomerId, row.line);
    }
  }
  return problems;
}

/** The line a record starts on (csv-parse reports the line it ends on; quoted line breaks move that). */
function startLine(entry: { record: string[]; info: { lines: number } }): number {
  const inner = entry.record.reduce((count, field) => count + (field.match(LINE_BREAKS)?.length ?? 0), 0);
  return entry.info.lines - inner;
}

function byLine(a: LineProblem, b: LineProblem): number {
  return (a.line ?? 0) - (b.line ?? 0);
}
