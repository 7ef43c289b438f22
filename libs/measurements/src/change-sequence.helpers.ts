import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from './bound-statement.helpers.js';
import { CHANGE_SEQUENCE } from './measurement-kinds.catalogue.js';

/** SQL for the next change sequence number; only valid after `lockChangeSequence` in the same transaction. */
export const NEXT_CHANGE_SEQ = "nextval('measurement_change_seq')";

/**
 * Writers announce themselves with a transaction-scoped advisory lock whose 64-bit key is this tag in the top 16
 * bits and, below it, the sequence's value when they started (their "floor": every number they draw is above it).
 * Keys from other uses of advisory locks (hashes) that happen to fall in this range can only lower a reader's
 * horizon, which delays the feed a moment and never skips a row.
 */
const FLOOR_TAG = 0x6f64;
const FLOOR_BASE = `${FLOOR_TAG}::bigint << 48`;

/** The last number drawn so far (0 before the first), read from the sequence itself, outside any snapshot. */
const LAST_DRAWN = `(select case when is_called then last_value else last_value - 1 end from ${CHANGE_SEQUENCE})`;

/**
 * Call inside the transaction that inserts or changes readings, before it draws its first change sequence number;
 * `alongside`, a statement of the caller's with `$n` parameters that draws none, runs in the same round trip.
 *
 * Sequence numbers are drawn when rows are written but become visible when the transaction commits, so a
 * change-feed reader that saw 105 (committed) while 101 was still in flight would skip 101 for ever. Writers used
 * to take one exclusive lock from their first `nextval` to their commit, which made draw order equal commit order
 * but let only one page be written at a time in the whole platform. Now each writer takes a *shared* lock keyed by
 * its floor (the last number drawn before it started), so writers never wait for each other; a reader asks
 * `changeHorizon` for the highest number below which nothing can still commit, and reads only up to it.
 */
export async function lockChangeSequence(em: EntityManager, alongside?: { sql: string; params: readonly unknown[] }): Promise<void> {
  const lock = `select pg_advisory_xact_lock_shared((${FLOOR_BASE}) + ${LAST_DRAWN})`;
  if (!alongside) {
    await em.getConnection().execute(lock, [], 'all', em.getTransactionContext());
    return;
  }
  // A caller's statement that draws no change sequence number (the sync's raw page insert), in the same round trip:
  // a data-modifying CTE runs whether or not the query reads it. Its `$n` parameters are sent bound.
  await executeBound(em, `with alongside as (${alongside.sql}) ${lock}`, alongside.params);
}

/**
 * The highest change sequence number H such that every reading with a number at or below H is committed already
 * or never will be: the lower of the last number drawn and the floor of every writer still running. A query
 * started after this returns (a new snapshot: not inside a REPEATABLE READ transaction) sees all of them.
 *
 * Why it holds: the last number drawn is read first, the writers' locks after it. A writer whose lock is seen
 * draws only above its floor, so above H. A writer not seen either took its lock after the look, so it draws
 * above the last number read, so above H; or it had ended (committed or rolled back) before the look, and
 * PostgreSQL releases a transaction's locks only after its commit is visible.
 */
export async function changeHorizon(em: EntityManager): Promise<string> {
  const connection = em.getConnection();
  const context = em.getTransactionContext();
  // Two statements, in this order: within one, PostgreSQL does not promise which subquery it reads first.
  const [{ last }] = await connection.execute<{ last: string }[]>(`select ${LAST_DRAWN}::text as last`, [], 'all', context);
  const [{ horizon }] = await connection.execute<{ horizon: string }[]>(
    `select least(?::bigint, min((((l.classid::bigint << 32) | l.objid::bigint)) - (${FLOOR_BASE})))::text as horizon
       from pg_locks l
      where l.locktype = 'advisory' and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid::bigint >> 16 = ${FLOOR_TAG}`,
    [last],
    'all',
    context,
  );
  return horizon;
}
