import { randomBytes, randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { SecretBox } from '@opendsp/crypto';
import { dspOrmConfig, reencryptSecrets, type ReencryptionProgress } from '@opendsp/database';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';

describe(reencryptSecrets.name, () => {
  let database: TestDatabase;
  let orm: MikroORM;
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await MikroORM.init(dspOrmConfig(database.settings));
  });
  afterAll(async () => {
    await orm.close(true);
    await database.drop();
  });

  it('moves every ciphertext to the active key, keeps the plaintexts, and reports progress', async () => {
    const old = new SecretBox([k1], 'k1');
    const ids = Array.from({ length: 1203 }, () => randomUUID()).sort();
    const at = (id: string, aad: string) => ({ table: 'omron_connection', column: aad, rowId: id });
    for (let i = 0; i < ids.length; i += 400) {
      const rows = ids.slice(i, i + 400).map((id, n) => [
        id,
        `user-${i + n}`,
        old.encrypt(`access-${id}`, at(id, 'access_token')),
        old.encrypt(`refresh-${id}`, at(id, 'refresh_token')),
        // Some rows have no id token: null stays null.
        (i + n) % 3 === 0 ? null : old.encrypt(`id-${id}`, at(id, 'id_token')),
      ]);
      await orm.em.getConnection().execute(
        `insert into omron_connection (id, omron_user_id, scopes, redirect_uri, access_token_ciphertext, refresh_token_ciphertext, id_token_ciphertext,
           access_token_expires_at, access_token_lifetime_seconds, state, state_changed_at, transient_failures, created_at, updated_at)
         values ${rows.map(() => `(?, ?, 'bloodpressure', 'http://127.0.0.1/cb', ?, ?, ?, now(), 3600, 'active', now(), 0, now(), now())`).join(', ')}`,
        rows.flat(),
      );
    }

    const rotated = new SecretBox([k1, k2], 'k2');
    const progress: ReencryptionProgress[] = [];
    expect(await reencryptSecrets(orm.em, rotated, (p) => progress.push(p))).toBe(1203);
    expect(progress.map((p) => p.scanned)).toEqual([500, 1000, 1203]);

    const rows = await orm.em
      .getConnection()
      .execute<{ id: string; access_token_ciphertext: string; refresh_token_ciphertext: string; id_token_ciphertext: string | null }[]>(
        `select id, access_token_ciphertext, refresh_token_ciphertext, id_token_ciphertext from omron_connection order by id`,
      );
    const onlyNew = new SecretBox([k2], 'k2');
    for (const row of rows) {
      expect(onlyNew.decrypt(row.access_token_ciphertext, at(row.id, 'access_token'))).toBe(`access-${row.id}`);
      expect(onlyNew.decrypt(row.refresh_token_ciphertext, at(row.id, 'refresh_token'))).toBe(`refresh-${row.id}`);
      if (row.id_token_ciphertext) expect(onlyNew.decrypt(row.id_token_ciphertext, at(row.id, 'id_token'))).toBe(`id-${row.id}`);
    }
    expect(rows.filter((row) => row.id_token_ciphertext === null)).toHaveLength(401);

    // A second run finds nothing left to do.
    expect(await reencryptSecrets(orm.em, rotated)).toBe(0);
  });
});
