import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { AuditAction } from './audit-actions.catalogue.js';
import { AuditEvent } from './audit-event.entity.js';

/** Who acted and from where; the portal builds it from the request. */
export interface AuditActor {
  adminId?: string | null;
  login?: string | null;
  ip?: string | null;
}

export interface AuditEntry {
  action: AuditAction;
  actor: AuditActor;
  target?: { type: string; id: string };
  detail?: Record<string, unknown>;
}

export interface AuditQuery {
  action?: string;
  actorLogin?: string;
  /** Inclusive lower and exclusive upper bound on the event time. */
  from?: Date;
  to?: Date;
  /** Keyset cursor: only events older than this ID. */
  before?: string;
  limit: number;
}

/** Records admin actions and security events, and reads them back a page at a time. */
@Injectable()
export class AuditLog {
  constructor(private readonly em: EntityManager) {}

  /**
   * Adds the event to `em`'s unit of work, so it is written in the same transaction as the change it
   * describes (a change without its audit row, or the reverse, cannot happen).
   */
  record(em: EntityManager, entry: AuditEntry): AuditEvent {
    const event = new AuditEvent(entry.action);
    event.actorId = entry.actor.adminId ?? null;
    event.actorLogin = entry.actor.login ?? null;
    event.ip = entry.actor.ip ?? null;
    event.targetType = entry.target?.type ?? null;
    event.targetId = entry.target?.id ?? null;
    event.detail = entry.detail ?? {};
    em.persist(event);
    return event;
  }

  /** Records and flushes an event on its own (security events that change nothing else). */
  async recordNow(entry: AuditEntry): Promise<void> {
    const em = this.em.fork();
    this.record(em, entry);
    await em.flush();
  }

  /**
   * One page of events, newest first, plus the cursor of the next page. Keyset pagination on the primary key
   * (with the action/actor indexes leading when filtered) keeps every page as fast as the first.
   */
  async page(query: AuditQuery): Promise<{ events: AuditEvent[]; nextBefore: string | null }> {
    const where: Record<string, unknown> = {};
    if (query.action) where.action = query.action;
    if (query.actorLogin) where.actorLogin = query.actorLogin;
    if (query.before) where.id = { $lt: query.before };
    if (query.from || query.to) where.occurredAt = { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lt: query.to } : {}) };
    const events = await this.em.fork().find(AuditEvent, where, { orderBy: { id: 'desc' }, limit: query.limit + 1 });
    const more = events.length > query.limit;
    const shown = events.slice(0, query.limit);
    return { events: shown, nextBefore: more ? shown.at(-1)!.id : null };
  }
}
