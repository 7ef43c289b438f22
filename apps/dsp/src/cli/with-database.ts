import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigValidationError, loadDspConfig, type DspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';

/**
 * Runs a command-line task against the platform's database, closing the connection after. A configuration
 * problem prints its one line and exits 78 (EX_CONFIG), as the platform itself does at start.
 */
export async function withDatabase(task: (orm: MikroORM, config: DspConfig) => Promise<void>): Promise<void> {
  try {
    const config = loadDspConfig(process.env);
    const orm = await MikroORM.init(dspOrmConfig({ ...config.database, poolMax: 2 }));
    try {
      await task(orm, config);
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
}
