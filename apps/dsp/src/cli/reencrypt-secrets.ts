import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigValidationError, loadDspConfig } from '@opendsp/config';
import { SecretBox } from '@opendsp/crypto';
import { dspOrmConfig, reencryptSecrets } from '@opendsp/database';

// `npm run secrets:reencrypt`: moves every secret at rest to ENCRYPTION_ACTIVE_KEY_ID. Safe to stop and rerun.
try {
  const config = loadDspConfig(process.env);
  const orm = await MikroORM.init(dspOrmConfig({ ...config.database, poolMax: 2 }));
  try {
    const box = new SecretBox(config.encryption.keys, config.encryption.activeKeyId);
    const rewritten = await reencryptSecrets(orm.em, box, ({ table, rewritten, scanned }) =>
      console.log(`${table}: ${scanned} rows scanned, ${rewritten} re-encrypted`),
    );
    console.log(`Done: ${rewritten} rows re-encrypted under key "${config.encryption.activeKeyId}".`);
  } finally {
    await orm.close(true);
  }
} catch (error) {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
