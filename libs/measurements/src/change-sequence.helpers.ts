import type { EntityManager } from '@mikro-orm/postgresql';

/** SQL for the next change sequence number; only valid after `lockChangeSequence` in the same transaction. */
export const NEXT_CHANGE_SEQ = "nextval('measurement_change_seq')";

/** Arbitrary constant naming the advisory lock that orders change sequence numbers. */
const CHANGE_FEED_LOCK = 0x6f647370_01;

/**
 * Call inside the transaction that inserts or changes readings, right before it writes them.
 *
 * Sequence numbers are drawn when rows are written but become visible when the transaction commits, so
 * two concurrent writers could commit out of order and a change-feed reader that saw 105 (committed)
 * before 101 (still in flight) would skip 101 for ever. Holding this transaction-scoped lock from the
 * first `nextval` to the commit makes draw order equal commit order: every row a reader can see has a
 * smaller sequence number than any row it cannot see yet. Writers only hold it for their batch upsert and
 * commit, so the serialisation costs little.
 */
export async function lockChangeSequence(em: EntityManager): Promise<void> {
  await em.getConnection().execute('select pg_advisory_xact_lock(?)', [CHANGE_FEED_LOCK], 'all', em.getTransactionContext());
}
