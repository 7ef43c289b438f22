import type { EntityManager } from '@mikro-orm/postgresql';
import type { SecretBox } from '@opendsp/crypto';
import { ENCRYPTED_COLUMNS } from './encrypted-columns.catalogue.js';

export interface ReencryptionProgress {
  table: string;
  rewritten: number;
  scanned: number;
}

const BATCH = 500;

/**
 * Rewrites every ciphertext that is not under the active key, in batches of one transaction each, so it can
 * be stopped and run again at any point. Rows are locked while rewritten, so a concurrent token refresh
 * either runs before (and is re-encrypted) or after (and writes under the active key already).
 */
export async function reencryptSecrets(
  em: EntityManager,
  box: SecretBox,
  onProgress: (progress: ReencryptionProgress) => void = () => {},
): Promise<number> {
  let total = 0;
  for (const { table, columns } of ENCRYPTED_COLUMNS) {
    let after = '00000000-0000-0000-0000-000000000000';
    const progress = { table, rewritten: 0, scanned: 0 };
    for (;;) {
      const batch = await em.fork().transactional(async (tx) => {
        const rows = await tx
          .getConnection()
          .execute<Record<string, string | null>[]>(
            `select id, ${columns.map(({ column }) => `"${column}"`).join(', ')} from "${table}" where id > ? order by id limit ${BATCH} for update`,
            [after],
            'all',
            tx.getTransactionContext(),
          );
        for (const row of rows) {
          const updates = columns.filter(({ column }) => row[column] && box.needsReencryption(row[column]!));
          if (updates.length === 0) continue;
          const values = updates.map(({ column, aad }) =>
            box.encrypt(box.decrypt(row[column]!, { table, column: aad, rowId: row.id! }), { table, column: aad, rowId: row.id! }),
          );
          await tx
            .getConnection()
            .execute(
              `update "${table}" set ${updates.map(({ column }) => `"${column}" = ?`).join(', ')} where id = ?`,
              [...values, row.id],
              'run',
              tx.getTransactionContext(),
            );
          progress.rewritten++;
        }
        return rows;
      });
      if (batch.length === 0) break;
      progress.scanned += batch.length;
      after = batch.at(-1)!.id!;
      onProgress({ ...progress });
    }
    total += progress.rewritten;
  }
  return total;
}
