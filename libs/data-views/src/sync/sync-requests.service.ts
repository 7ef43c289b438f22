import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import type { MeasurementKind } from '@opendsp/measurements';
import { SyncStatusService, type DeadLetterRetryOutcome, type SyncRequestOutcome } from '@opendsp/sync';
import { DataScope } from '../data-scope.service.js';
import { ParticipantRecords } from '../participants/participant-records.service.js';

/**
 * What an admin asks of sync from the portal: "sync now" for a participant, and retrying a dead letter.
 * Each is one transaction with its audit row, so a request is never queued without its record.
 */
@Injectable()
export class SyncRequests {
  constructor(
    private readonly em: EntityManager,
    private readonly records: ParticipantRecords,
    private readonly scope: DataScope,
    private readonly audit: AuditLog,
    private readonly sync: SyncStatusService,
  ) {}

  /** Queues a pull of one kind (all kinds when null) for a participant the admin may see (404 otherwise). */
  async syncNow(
    user: PortalUser,
    ogscId: string,
    kind: MeasurementKind | null,
    actor: AuditActor,
  ): Promise<{ result: SyncRequestOutcome; ogscId: string }> {
    return this.em.fork().transactional(async (em) => {
      const { participant } = await this.records.visible(em, user, ogscId);
      const result = await this.sync.requestSync(em, participant.id, kind, actor);
      if (result === 'queued') {
        this.audit.record(em, {
          action: 'sync.requested',
          actor,
          target: { type: 'participant', id: participant.ogscId },
          detail: { kind: kind ?? 'all' },
        });
      }
      return { result, ogscId: participant.ogscId };
    });
  }

  /** Sends a dead letter in the admin's scope back to its queue. */
  async retryDeadLetter(user: PortalUser, deadLetterId: string, actor: AuditActor): Promise<DeadLetterRetryOutcome> {
    return this.em.fork().transactional(async (em) => {
      const scope = await this.scope.of(em, user);
      const result = await this.sync.retryDeadLetter(em, scope, deadLetterId.slice(0, 200), actor);
      if (result === 'retried')
        this.audit.record(em, { action: 'sync.dead_letter_retried', actor, target: { type: 'sync_job', id: deadLetterId } });
      return result;
    });
  }
}
