import { MikroORM } from '@mikro-orm/postgresql';
import { AdminAccount, PasswordHasher } from '@opendsp/admin-auth';
import type { DspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';

export const DEMO_GROUP_NAME = 'Demo Blood Pressure Program';

/**
 * Seeds what a first look at the platform needs: the partner admin named in the configuration and a demo
 * group with one redirect URL. Idempotent: an existing admin or group is left as it is.
 */
export async function seedDemo(config: DspConfig, adminPassword: string): Promise<{ groupId: string }> {
  const orm = await MikroORM.init(dspOrmConfig({ ...config.database, poolMax: 2 }));
  try {
    const em = orm.em.fork();
    const { partnerAdmin } = config.environment;
    if (!(await em.count(AdminAccount, { loginId: partnerAdmin.id }))) {
      const admin = new AdminAccount(partnerAdmin.id, partnerAdmin.name, partnerAdmin.email, 'partner-admin');
      admin.passwordHash = await PasswordHasher.hash(adminPassword);
      em.persist(admin);
    }
    let group = await em.findOne(ProgramGroup, { displayName: DEMO_GROUP_NAME });
    if (!group) {
      group = new ProgramGroup(DEMO_GROUP_NAME);
      group.description = 'Created by `npm start` so there is something to look at.';
      em.persist([group, new GroupRedirectUrl(group, `${config.http.publicBaseUrl}/consent/result`, true)]);
    }
    await em.flush();
    return { groupId: group.groupId };
  } finally {
    await orm.close(true);
  }
}
