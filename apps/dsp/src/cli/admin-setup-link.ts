import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { issueSetupLink, setupLinkMessage } from '@opendsp/admin-auth';
import { ConfigValidationError, loadDspConfig } from '@opendsp/config';
import { assertEnvironmentStamp, dspOrmConfig, EnvironmentMismatchError } from '@opendsp/database';

/**
 * Prints a new one-time setup link: `npm run admin:setup-link [-- login-id]`.
 * Without a login ID it is for the partner admin of the configuration (created if missing). For an admin
 * who has a password already, the link sets a new one: the way back in when every partner admin is locked out.
 */
try {
  const config = loadDspConfig(process.env);
  const orm = await MikroORM.init(dspOrmConfig({ ...config.database, poolMax: 2 }));
  try {
    await assertEnvironmentStamp(orm.em, { type: config.environment.type, id: config.environment.id });
    const { admin, link } = await issueSetupLink(orm.em, config, process.argv[2]);
    console.log(setupLinkMessage(admin, link));
  } finally {
    await orm.close(true);
  }
} catch (error) {
  if (error instanceof ConfigValidationError || error instanceof EnvironmentMismatchError) {
    console.error(error.message);
    process.exit(78);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
