import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '@opendsp/audit';
import { AuditLog } from '@opendsp/audit';
import { DspConfig, OMRON_HOSTS } from '@opendsp/config';
import { OperationsFact } from '@opendsp/database';

/** A backup older than this many days counts as missing. */
export const BACKUP_MAX_AGE_DAYS = 7;
/** An active encryption key older than this many days is due for rotation. */
export const KEY_MAX_AGE_DAYS = 365;
const DAY_MS = 86_400_000;
const BACKUP_FACT = 'backup.pg_dump';
const KEY_FACT_PREFIX = 'encryption_key:';

export interface ReadinessItem {
  id: string;
  ready: boolean;
  /** Message keys: what is the case, and (when missing) what to do; `params` fill them. */
  state: string;
  todo?: string;
  params: Record<string, string | number>;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/**
 * The environment page's production readiness checklist: each item ready or missing, with what to do. Reads the
 * configuration, and two dated facts: the last backup the operator recorded and when the active key became active.
 */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly config: DspConfig,
    private readonly em: EntityManager,
    private readonly audit: AuditLog,
  ) {}

  async checklist(now = new Date()): Promise<ReadinessItem[]> {
    const { omron, notifications, mail, http, encryption, environment } = this.config;
    const em = this.em.fork();
    // The first time the platform shows the page with a key active is when that key counts as put in service.
    await em.execute(`insert into "operations_fact" ("name", "recorded_at") values (?, ?) on conflict do nothing`, [
      `${KEY_FACT_PREFIX}${encryption.activeKeyId}`,
      now,
    ]);
    const facts = await em.find(OperationsFact, {}, { orderBy: { recordedAt: 'asc' } });
    const keyFacts = facts.filter((fact) => fact.name.startsWith(KEY_FACT_PREFIX));
    const activeKey = keyFacts.find((fact) => fact.name === `${KEY_FACT_PREFIX}${encryption.activeKeyId}`)!;
    const backup = facts.find((fact) => fact.name === BACKUP_FACT);
    const days = (date: Date) => Math.floor((now.getTime() - date.getTime()) / DAY_MS);
    const hosts = OMRON_HOSTS[environment.type];
    const usesOmron = omron.websiteUrl === hosts.website && omron.apiUrl === hosts.api;
    const item = (id: string, ready: boolean, params: Record<string, string | number> = {}): ReadinessItem => ({
      id,
      ready,
      state: `readiness.${id}.${ready ? 'ready' : 'missing'}`,
      todo: ready ? undefined : `readiness.${id}.todo`,
      params,
    });
    return [
      item('omron', usesOmron && Boolean(omron.clientId && omron.clientSecret), { url: omron.apiUrl }),
      item('notifications', Boolean(notifications.sharedSecret) || notifications.allowedSourceIps.length > 0),
      item('smtp', Boolean(mail.smtpUrl)),
      item('https', http.publicBaseUrl.startsWith('https://'), { url: http.publicBaseUrl }),
      item('key', days(activeKey.recordedAt) <= KEY_MAX_AGE_DAYS, {
        id: encryption.activeKeyId,
        days: days(activeKey.recordedAt),
        max: KEY_MAX_AGE_DAYS,
        rotated: keyFacts.length > 1 ? activeKey.recordedAt.toISOString().slice(0, 10) : '—',
      }),
      item('backup', backup !== undefined && days(backup.recordedAt) <= BACKUP_MAX_AGE_DAYS, {
        date: backup ? backup.recordedAt.toISOString().slice(0, 10) : '—',
        max: BACKUP_MAX_AGE_DAYS,
      }),
      // The sandbox is for testing: the platform must not send participants' browsers to one they can reach.
      item('sandbox', usesOmron || isLoopback(omron.websiteUrl), { url: omron.websiteUrl }),
    ];
  }

  /** Records the date of the last `pg_dump` the operator took (a calendar day, UTC). */
  async recordBackup(day: string, actor: AuditActor): Promise<void> {
    await this.em.fork().transactional(async (em) => {
      await em.upsert(OperationsFact, new OperationsFact(BACKUP_FACT, new Date(`${day}T00:00:00Z`), actor.login ?? null));
      this.audit.record(em, { action: 'environment.backup_recorded', actor, detail: { day } });
    });
  }
}
