import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { AdminAccount } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import type { FieldErrors } from '@opendsp/i18n';
import { createdAtCursor, parseCreatedAtCursor } from '@opendsp/pagination';
import type { GroupForm } from './dto/group-forms.dto.js';
import { GroupAdminMembership } from './group-admin-membership.entity.js';
import { GroupRedirectUrl, ProgramGroup } from './program-group.entity.js';
import { redirectUrlProblem } from './redirect-url.rules.js';

export type GroupStatus = 'active' | 'archived' | 'all';
export type GroupOutcome<T = ProgramGroup> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const GROUP_ID_PATTERN = /^[0-9A-Z]{12}$/;

/** Where a participant lands after consenting when their group has no redirect URL registered. */
export function platformResultUrl(config: DspConfig): string {
  return `${config.http.publicBaseUrl}/consent/result`;
}

/**
 * Groups and their redirect destination URLs. Every read and change goes through `visibleGroup`, so a
 * group admin sees and touches only their own groups: anything else answers 404, as if it did not exist.
 */
@Injectable()
export class GroupsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
  ) {}

  /** The IDs (internal) of the groups a group admin is responsible for. */
  async groupIdsOf(em: EntityManager, adminId: string): Promise<string[]> {
    const rows = await em.find(GroupAdminMembership, { admin: adminId }, { fields: ['group'] });
    return rows.map((row) => row.group.id);
  }

  /** A group the user may see, by its public group ID; 404 for unknown groups and for those of others. */
  async visibleGroup(em: EntityManager, user: PortalUser, groupId: string): Promise<ProgramGroup> {
    const group = GROUP_ID_PATTERN.test(groupId) ? await em.findOne(ProgramGroup, { groupId }) : null;
    if (!group) throw new NotFoundException();
    if (user.role === 'group-admin' && !(await em.count(GroupAdminMembership, { admin: user.id, group: group.id }))) {
      throw new NotFoundException();
    }
    return group;
  }

  /**
   * One page of groups, newest first, with the cursor of the next page. Keyset pagination on
   * (created_at, id) with its index: page 5,000 costs what page 1 does.
   */
  async page(
    user: PortalUser,
    options: { status: GroupStatus; after?: string; limit: number },
  ): Promise<{ groups: ProgramGroup[]; nextAfter: string | null }> {
    const em = this.em.fork();
    const qb = em
      .createQueryBuilder(ProgramGroup, 'g')
      .select('*')
      .orderBy({ createdAt: 'desc', id: 'desc' })
      .limit(options.limit + 1);
    if (options.status === 'active') qb.andWhere({ archivedAt: null });
    if (options.status === 'archived') qb.andWhere({ archivedAt: { $ne: null } });
    if (user.role === 'group-admin') qb.andWhere({ id: { $in: await this.groupIdsOf(em, user.id) } });
    const cursor = parseCreatedAtCursor(options.after);
    if (cursor) qb.andWhere('(g.created_at, g.id) < (?, ?)', [cursor.createdAt, cursor.id]);
    const groups = await qb.getResultList();
    const more = groups.length > options.limit;
    const shown = groups.slice(0, options.limit);
    const last = shown.at(-1);
    return { groups: shown, nextAfter: more && last ? createdAtCursor(last) : null };
  }

  /** A group with its redirect URLs (default first, then in registration order). */
  async details(user: PortalUser, groupId: string): Promise<{ group: ProgramGroup; urls: GroupRedirectUrl[]; admins: AdminAccount[] }> {
    const em = this.em.fork();
    const group = await this.visibleGroup(em, user, groupId);
    const urls = await em.find(GroupRedirectUrl, { group }, { orderBy: { isDefault: 'desc', createdAt: 'asc' } });
    const memberships = await em.find(GroupAdminMembership, { group }, { populate: ['admin'], orderBy: { admin: { loginId: 'asc' } } });
    return { group, urls, admins: memberships.map((membership) => membership.admin) };
  }

  async create(form: GroupForm, actor: AuditActor): Promise<ProgramGroup> {
    return this.em.fork().transactional(async (em) => {
      const group = new ProgramGroup(form.displayName);
      group.description = form.description;
      group.backLinkOrigins = form.backLinkOrigins.map((origin) => origin.toLowerCase());
      group.dataTypes = form.dataTypes.length > 0 ? [...new Set(form.dataTypes)] : null;
      em.persist(group);
      this.audit.record(em, {
        action: 'group.created',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: { displayName: group.displayName },
      });
      return group;
    });
  }

  async update(user: PortalUser, groupId: string, form: GroupForm, actor: AuditActor): Promise<ProgramGroup> {
    return this.em.fork().transactional(async (em) => {
      const group = await this.visibleGroup(em, user, groupId);
      const before = { displayName: group.displayName, description: group.description, backLinkOrigins: group.backLinkOrigins };
      group.displayName = form.displayName;
      group.description = form.description;
      group.backLinkOrigins = form.backLinkOrigins.map((origin) => origin.toLowerCase());
      group.dataTypes = form.dataTypes.length > 0 ? [...new Set(form.dataTypes)] : null;
      this.audit.record(em, {
        action: 'group.updated',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: {
          before,
          after: {
            displayName: group.displayName,
            description: group.description,
            backLinkOrigins: group.backLinkOrigins,
            dataTypes: group.dataTypes,
          },
        },
      });
      return group;
    });
  }

  async setArchived(user: PortalUser, groupId: string, archived: boolean, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const group = await this.visibleGroup(em, user, groupId);
      if ((group.archivedAt !== null) === archived) return;
      group.archivedAt = archived ? new Date() : null;
      this.audit.record(em, {
        action: archived ? 'group.archived' : 'group.restored',
        actor,
        target: { type: 'group', id: group.groupId },
      });
    });
  }

  /** Registers a redirect URL; the group's first URL, or one marked so, becomes the default. */
  async addRedirectUrl(
    user: PortalUser,
    groupId: string,
    url: string,
    makeDefault: boolean,
    actor: AuditActor,
  ): Promise<GroupOutcome<GroupRedirectUrl>> {
    const problem = redirectUrlProblem(url, this.config.nodeEnv);
    if (problem) return { ok: false, errors: { url: problem } };
    return this.em.fork().transactional(async (em) => {
      const group = await this.lockedGroup(em, user, groupId);
      const existing = await em.find(GroupRedirectUrl, { group });
      if (existing.some((registered) => registered.url === url)) return { ok: false, errors: { url: 'redirect_url.duplicate' } };
      if (existing.length >= 20) return { ok: false, errors: { url: 'redirect_url.too_many' } };
      const isDefault = makeDefault || existing.length === 0;
      if (isDefault) await em.nativeUpdate(GroupRedirectUrl, { group, isDefault: true }, { isDefault: false });
      const added = new GroupRedirectUrl(group, url, isDefault);
      em.persist(added);
      this.audit.record(em, {
        action: 'redirect_url.added',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: { url, isDefault },
      });
      return { ok: true, value: added };
    });
  }

  async setDefaultRedirectUrl(user: PortalUser, groupId: string, urlId: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const group = await this.lockedGroup(em, user, groupId);
      const target = await this.urlOf(em, group, urlId);
      // Clear first and flush, so the one-default index never sees two defaults.
      await em.nativeUpdate(GroupRedirectUrl, { group, isDefault: true }, { isDefault: false });
      await em.nativeUpdate(GroupRedirectUrl, { id: target.id }, { isDefault: true });
      this.audit.record(em, {
        action: 'redirect_url.default_set',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: { url: target.url },
      });
    });
  }

  /** Removes a URL; when it was the default, the oldest remaining one takes over. */
  async removeRedirectUrl(user: PortalUser, groupId: string, urlId: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const group = await this.lockedGroup(em, user, groupId);
      const target = await this.urlOf(em, group, urlId);
      await em.nativeDelete(GroupRedirectUrl, { id: target.id });
      if (target.isDefault) {
        const next = await em.findOne(GroupRedirectUrl, { group, id: { $ne: target.id } }, { orderBy: { createdAt: 'asc' } });
        if (next) await em.nativeUpdate(GroupRedirectUrl, { id: next.id }, { isDefault: true });
      }
      this.audit.record(em, {
        action: 'redirect_url.removed',
        actor,
        target: { type: 'group', id: group.groupId },
        detail: { url: target.url },
      });
    });
  }

  /** Replaces a group admin's groups (in `em`'s transaction). */
  async setMemberships(em: EntityManager, admin: AdminAccount, groupIds: string[]): Promise<void> {
    await em.nativeDelete(GroupAdminMembership, { admin: admin.id });
    const groups = groupIds.length ? await em.find(ProgramGroup, { groupId: { $in: groupIds } }) : [];
    for (const group of groups) em.persist(new GroupAdminMembership(admin, group));
  }

  /** Groups to choose from when assigning a group admin (active ones, by name). */
  activeGroupChoices(limit = 500): Promise<ProgramGroup[]> {
    return this.em.fork().find(ProgramGroup, { archivedAt: null }, { orderBy: { displayName: 'asc' }, limit });
  }

  async groupsOfAdmin(adminId: string): Promise<ProgramGroup[]> {
    const memberships = await this.em.fork().find(GroupAdminMembership, { admin: adminId }, { populate: ['group'] });
    return memberships.map((membership) => membership.group);
  }

  /** Where participants of a group land after consenting: its default URL, else the platform's result page. */
  async resultUrlOf(groupId: string): Promise<string> {
    const url = await this.em.fork().findOne(GroupRedirectUrl, { group: { groupId }, isDefault: true });
    return url?.url ?? platformResultUrl(this.config);
  }

  /** The group, row-locked, so concurrent URL changes of one group take turns and keep exactly one default. */
  private async lockedGroup(em: EntityManager, user: PortalUser, groupId: string): Promise<ProgramGroup> {
    const group = await this.visibleGroup(em, user, groupId);
    await em.getConnection().execute(`select 1 from program_group where id = ? for update`, [group.id], 'all', em.getTransactionContext());
    return group;
  }

  private async urlOf(em: EntityManager, group: ProgramGroup, urlId: string): Promise<GroupRedirectUrl> {
    const url = /^[0-9a-f-]{36}$/.test(urlId) ? await em.findOne(GroupRedirectUrl, { id: urlId, group }) : null;
    if (!url) throw new NotFoundException();
    return url;
  }
}
