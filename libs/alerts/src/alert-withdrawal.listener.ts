import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ProgramGroup } from '@opendsp/groups';
import { EnrollmentEvents } from '@opendsp/participants';

/**
 * A participant who leaves a group takes their alerts in it along: the alerts carry values of readings the group
 * may no longer see. The audit rows of acknowledgements stay (they hold no reading values). Runs after the
 * withdrawal's commit, in the process that made it.
 */
@Injectable()
export class AlertWithdrawalListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AlertWithdrawalListener.name);
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly events: EnrollmentEvents,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(this.events.onWithdrawn((event) => this.forget(event.participantId, event.groupId)));
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  /** Deletes the participant's alerts in the group (public ID); returns how many. */
  async forget(participantId: string, groupId: string): Promise<number> {
    const em = this.em.fork();
    const group = await em.findOne(ProgramGroup, { groupId }, { fields: ['id'] });
    if (!group) return 0;
    const deleted = await em.execute<{ id: string }[]>(`delete from alert where participant_id = ? and group_id = ? returning id`, [
      participantId,
      group.id,
    ]);
    if (deleted.length > 0) this.logger.log({ participantId, alerts: deleted.length }, 'alerts of a withdrawn enrollment deleted');
    return deleted.length;
  }
}
