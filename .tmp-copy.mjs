import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
const table = process.argv[2];
const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/sbx_exp' });
await client.connect();
await client.query(`truncate ${table}`);
function* rows() {
  let t = Date.parse('2015-01-01T00:00:00Z'); let s = '';
  for (let i = 0; i < 1e6; i++) { t += 300000;
    s += '00000000-0000-0000-0000-000000000001\tbloodpressure\t' + new Date(t).toISOString() + '\t0\tM700 Intelli IT\t' + JSON.stringify({ systolic: 120 + i % 30, diastolic: 80, pulse: 70, possibleAfib: false }) + '\tgenerated\t2026-01-01T00:00:00Z\n';
    if (s.length > 65536) { yield s; s = ''; } }
  yield s;
}
const started = performance.now();
await client.query('begin');
await pipeline(Readable.from(rows()), client.query(copyFrom(`copy ${table} (user_id, type, measured_at, utc_offset_seconds, device_type, "values", source, uploaded_at) from stdin`)));
await client.query('commit');
console.log(table, ((performance.now() - started) / 1000).toFixed(2), 's');
await client.end();
