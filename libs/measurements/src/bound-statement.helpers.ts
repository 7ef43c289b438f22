import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** What MikroORM's Kysely (bound to the transaction, if any) takes to run one statement as it is. */
interface BoundStatement {
  /** The SQL text, or node-postgres' query config for a named (prepared) statement: Kysely hands it to `pg` as is. */
  sql: string | { name: string; text: string };
  parameters: readonly unknown[];
  query: { kind: 'RawNode' };
  queryId: { queryId: string };
}

/**
 * Runs a statement with `$n` bind parameters on the entity manager's connection (its transaction's, inside one).
 * `em.execute` inlines every parameter into the SQL text, and PostgreSQL then parses a page's values as one long
 * literal: sent as parameters, a page of 1,000 readings is written in about half the time (docs/sync.md).
 */
export async function executeBound<R>(em: EntityManager, sql: string, parameters: readonly unknown[]): Promise<R[]> {
  const kysely = em.getKysely() as unknown as { executeQuery(query: BoundStatement): Promise<{ rows: R[] }> };
  const result = await kysely.executeQuery({ sql, parameters, query: { kind: 'RawNode' }, queryId: { queryId: 'readings' } });
  return result.rows;
}

/**
 * `executeBound` as a named prepared statement on the connection: PostgreSQL parses and analyses it once per
 * connection and may keep a generic plan after five runs, where an unnamed statement is parsed and planned on every
 * run. For a statement of fixed text run on every page (the landed page's composed statement, several CTEs whose
 * parsing and planning cost more than their execution), that halves or better its time. The name is a hash of the
 * text, so each distinct text is prepared once per connection; use it only for texts built from a bounded set of
 * shapes (node-postgres keeps every prepared name for the connection's life), never with values in the text.
 *
 * Kysely passes `sql` through to node-postgres' `client.query` untouched, so node-postgres' query config (`name`,
 * `text`) reaches it; `test/sync-writer.e2e-spec.ts` checks that the statement is prepared.
 */
export async function executePrepared<R>(em: EntityManager, sql: string, parameters: readonly unknown[]): Promise<R[]> {
  const name = preparedName(sql);
  const kysely = em.getKysely() as unknown as { executeQuery(query: BoundStatement): Promise<{ rows: R[] }> };
  const result = await kysely.executeQuery({
    sql: { name, text: sql },
    parameters,
    query: { kind: 'RawNode' },
    queryId: { queryId: 'prepared' },
  });
  return result.rows;
}

/** Prepared statements' names by text, so a page's statement is not hashed again on every page. */
const preparedNames = new Map<string, string>();

function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (name === undefined) {
    name = `opendsp_${createHash('sha1').update(sql).digest('hex').slice(0, 32)}`;
    // The texts come from a bounded set of shapes; the bound only keeps a misuse from growing without end.
    if (preparedNames.size >= 1000) preparedNames.clear();
    preparedNames.set(sql, name);
  }
  return name;
}

/** An element that needs no quotes in an array literal: no braces, commas, quotes, backslashes or spaces. */
const BARE = /^[0-9A-Za-z_.:+-]+$/;

/**
 * A column's values as one PostgreSQL array literal (`{1,2,NULL,"a b"}`), for a `$n::type[]` bind parameter.
 * node-postgres makes the same text from a JS array, but quotes and escapes every string element with a regular
 * expression each: for a page's IDs and timestamps that was about 4 ms of a page's CPU, this about 1 ms.
 * Values are numbers, booleans, strings (a JSON value already as its text) or null.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  let literal = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) literal += ',';
    if (value === null || value === undefined) literal += 'NULL';
    else if (typeof value === 'number') literal += String(value);
    else if (typeof value === 'boolean') literal += value ? 't' : 'f';
    else {
      const text = String(value);
      literal += BARE.test(text) && text.toLowerCase() !== 'null' ? text : `"${text.replace(/[\\"]/g, '\\$&')}"`;
    }
  }
  return `${literal}}`;
}
