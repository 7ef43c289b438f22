import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ProgramGroup } from '@opendsp/groups';
import { EnrollmentChangesPort, type EnrollmentChange } from '@opendsp/participants';

/**
 * A participant who leaves a group takes their alerts in it along: the alerts carry values of readings the group
 * may no longer see. Runs inside the withdrawal's transaction (libs/participants' `EnrollmentChangesPort`), so the
 * alerts go exactly when the enrollment does. The audit rows of acknowledgements stay (they hold no reading values).
 */
@Injectable()
export class AlertWithdrawalListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AlertWithdrawalListener.name);
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly changes: EnrollmentChangesPort) {}

  onModuleInit(): void {
    this.unsubscribe.push(this.changes.listen('alerts', (em, change) => this.forget(em, change)));
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  /** On a withdrawal, deletes the participant's alerts in the group, in `em`'s transaction; returns how many. */
  async forget(em: EntityManager, change: EnrollmentChange): Promise<number> {
    if (change.kind !== 'withdrawn') return 0;
    const group = await em.findOne(ProgramGroup, { groupId: change.groupId }, { fields: ['id'] });
    if (!group) return 0;
    const deleted = await em.execute<{ id: string }[]>(`delete from alert where participant_id = ? and group_id = ? returning id`, [
      change.participantId,
      group.id,
    ]);
    if (deleted.length > 0) this.logger.log({ alerts: deleted.length }, 'alerts of a withdrawn enrollment deleted');
    return deleted.length;
  }
}
