import 'reflect-metadata';
import { SecretBox } from '@opendsp/crypto';
import { reencryptSecrets } from '@opendsp/database';
import { withDatabase } from './with-database.js';

// `npm run secrets:reencrypt`: moves every secret at rest to ENCRYPTION_ACTIVE_KEY_ID. Safe to stop and rerun.
await withDatabase(async (orm, config) => {
  const box = new SecretBox(config.encryption.keys, config.encryption.activeKeyId);
  const rewritten = await reencryptSecrets(orm.em, box, ({ table, rewritten, scanned }) =>
    console.log(`${table}: ${scanned} rows scanned, ${rewritten} re-encrypted`),
  );
  console.log(`Done: ${rewritten} rows re-encrypted under key "${config.encryption.activeKeyId}".`);
});
