import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { ProgramGroup } from '@opendsp/groups';
import type { FieldErrors } from '@opendsp/i18n';
import { createdAtCursor, parseCreatedAtCursor } from '@opendsp/pagination';
import { formatScopes, parseScopes, type ApiScope } from '../api-scopes.catalogue.js';
import { ApiAccessToken, ApiClient, ApiClientGroup } from './api-client.entity.js';
import { hashCredential, newClientSecret } from './client-credentials.helpers.js';
import type { ApiClientForm } from './dto/api-client-forms.dto.js';

export interface ApiClientView {
  client: ApiClient;
  scopes: ApiScope[];
  groups: ProgramGroup[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** API clients as partner admins manage them in the portal: create, disable, enable, rotate the secret. Every change is audited. */
@Injectable()
export class ApiClientsService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
  ) {}

  /** Clients, newest first, a page at a time (keyset on created_at, id). */
  async page(after: string | undefined, limit: number): Promise<{ clients: ApiClient[]; nextAfter: string | null }> {
    const cursor = parseCreatedAtCursor(after);
    const qb = this.em
      .fork()
      .createQueryBuilder(ApiClient, 'c')
      .select('*')
      .orderBy({ createdAt: 'desc', id: 'desc' })
      .limit(limit + 1);
    if (cursor) qb.andWhere('(c.created_at, c.id) < (?, ?)', [cursor.createdAt, cursor.id]);
    const clients = await qb.getResultList();
    const shown = clients.slice(0, limit);
    const last = shown.at(-1);
    return { clients: shown, nextAfter: clients.length > limit && last ? createdAtCursor(last) : null };
  }

  async get(id: string): Promise<ApiClientView> {
    const em = this.em.fork();
    const client = UUID.test(id) ? await em.findOne(ApiClient, { id }) : null;
    if (!client) throw new NotFoundException();
    const memberships = await em.find(ApiClientGroup, { client }, { populate: ['group'], orderBy: { group: { displayName: 'asc' } } });
    return { client, scopes: parseScopes(client.scopes), groups: memberships.map((membership) => membership.group) };
  }

  /** Creates a client; the secret is returned here once and only its hash is kept. */
  async create(
    form: ApiClientForm,
    actor: AuditActor,
  ): Promise<{ ok: true; client: ApiClient; secret: string } | { ok: false; errors: FieldErrors }> {
    return this.em.fork().transactional(async (em) => {
      const allGroups = form.groupAccess === 'all';
      const groups = allGroups ? [] : await em.find(ProgramGroup, { groupId: { $in: form.groupIds }, archivedAt: null });
      if (!allGroups && groups.length !== new Set(form.groupIds).size)
        return { ok: false as const, errors: { groupIds: 'api_clients.groups_required' } };
      const secret = newClientSecret();
      const client = new ApiClient({ name: form.name, scopes: formatScopes(form.scopes), allGroups, secretHash: hashCredential(secret) });
      client.createdBy = actor.login ?? null;
      em.persist(client);
      for (const group of groups) em.persist(new ApiClientGroup(client, group));
      this.audit.record(em, {
        action: 'api_client.created',
        actor,
        target: { type: 'api_client', id: client.clientId },
        detail: { name: client.name, scopes: client.scopes, groups: allGroups ? 'all' : groups.map((group) => group.groupId) },
      });
      return { ok: true as const, client, secret };
    });
  }

  /** Disabling refuses new tokens and revokes the ones issued, at once. */
  async setDisabled(id: string, disabled: boolean, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      const client = UUID.test(id) ? await em.findOne(ApiClient, { id }) : null;
      if (!client) throw new NotFoundException();
      if ((client.disabledAt !== null) === disabled) return;
      client.disabledAt = disabled ? new Date() : null;
      if (disabled) await em.nativeDelete(ApiAccessToken, { client });
      this.audit.record(em, {
        action: disabled ? 'api_client.disabled' : 'api_client.enabled',
        actor,
        target: { type: 'api_client', id: client.clientId },
      });
    });
  }

  /**
   * Issues a new secret. The old one keeps working for `overlapHours` so the partner can deploy the new one
   * without downtime; with 0 it stops at once, and so do the tokens already issued (a leaked secret).
   */
  async rotateSecret(id: string, overlapHours: number, actor: AuditActor): Promise<{ client: ApiClient; secret: string }> {
    return this.em.fork().transactional(async (em) => {
      const client = UUID.test(id) ? await em.findOne(ApiClient, { id }) : null;
      if (!client) throw new NotFoundException();
      const secret = newClientSecret();
      const now = new Date();
      client.previousSecretHash = overlapHours > 0 ? client.secretHash : null;
      client.previousSecretExpiresAt = overlapHours > 0 ? new Date(now.getTime() + overlapHours * 3_600_000) : null;
      client.secretHash = hashCredential(secret);
      client.secretIssuedAt = now;
      if (overlapHours === 0) await em.nativeDelete(ApiAccessToken, { client });
      this.audit.record(em, {
        action: 'api_client.secret_rotated',
        actor,
        target: { type: 'api_client', id: client.clientId },
        detail: { overlapHours, previousSecretValidUntil: client.previousSecretExpiresAt?.toISOString() ?? null },
      });
      return { client, secret };
    });
  }

  /** Groups to choose from for a restricted client. */
  groupChoices(limit = 500): Promise<ProgramGroup[]> {
    return this.em.fork().find(ProgramGroup, { archivedAt: null }, { orderBy: { displayName: 'asc' }, limit });
  }
}
