import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AdminAccountsService, type AdminAccount } from '@opendsp/admin-auth';
import type { AuditActor } from '@opendsp/audit';
import type { FieldErrors } from '@opendsp/i18n';
import { GroupsService, type ProgramGroup } from '@opendsp/groups';
import type { InviteAdminForm } from './invite-admin.dto.js';

/**
 * Inviting an admin touches two rooms (the account in admin-auth, group responsibilities in groups): one
 * transaction. The admin's page reads both rooms too.
 */
@Injectable()
export class AdminsService {
  constructor(
    private readonly em: EntityManager,
    private readonly accounts: AdminAccountsService,
    private readonly groups: GroupsService,
  ) {}

  async invite(form: InviteAdminForm, actor: AuditActor): Promise<{ ok: true; admin: AdminAccount } | { ok: false; errors: FieldErrors }> {
    if (form.role === 'group-admin' && form.groupIds.length === 0) return { ok: false, errors: { groupIds: 'admins.groups_required' } };
    const result = await this.em.fork().transactional(async (em) => {
      const invited = await this.accounts.invite(em, form, actor);
      if ('errors' in invited) return invited;
      if (form.role === 'group-admin') {
        await em.flush();
        await this.groups.setMemberships(em, invited.admin, form.groupIds);
      }
      return invited;
    });
    if ('errors' in result) return { ok: false, errors: result.errors };
    // Mailed after the commit: a mail never points at an account that was rolled back.
    await this.accounts.mailSetupLink(result.admin, result.token);
    return { ok: true, admin: result.admin };
  }

  /** An admin, with the groups a group admin is responsible for. */
  async details(id: string): Promise<{ admin: AdminAccount; groups: ProgramGroup[] }> {
    const admin = await this.accounts.get(this.em.fork(), id);
    return { admin, groups: admin.role === 'group-admin' ? await this.groups.groupsOfAdmin(admin.id) : [] };
  }
}
