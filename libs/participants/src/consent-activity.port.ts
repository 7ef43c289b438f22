import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';

/** What libs/consent keeps that participants' rules need: how often a group's link was opened, and sign-in sessions. */
export interface ConsentActivity {
  /** Openings of the group's consent link (internal group ID): in all, and within the last 7 days. */
  linkOpens(em: EntityManager, groupUuid: string): Promise<{ total: number; last7Days: number }>;
  /** Ends every participant-page session of the participant, in the caller's transaction. */
  endSessions(em: EntityManager, participantId: string): Promise<void>;
}

/**
 * The participants' side of what libs/consent records (the link openings a group's funnel shows, the sessions a
 * password reset ends). libs/consent depends on participants, never the reverse, so it implements this port when
 * its module starts, as libs/measurements implements `ParticipantReadingsPort`.
 */
@Injectable()
export class ConsentActivityPort {
  private implementation: ConsentActivity | null = null;

  /** Called once by ConsentModule. */
  implement(activity: ConsentActivity): void {
    this.implementation = activity;
  }

  linkOpens(em: EntityManager, groupUuid: string): Promise<{ total: number; last7Days: number }> {
    return this.activity().linkOpens(em, groupUuid);
  }

  endSessions(em: EntityManager, participantId: string): Promise<void> {
    return this.activity().endSessions(em, participantId);
  }

  /** Fails rather than leave a reset password's sessions signed in when no module implements the port. */
  private activity(): ConsentActivity {
    if (!this.implementation) throw new Error('ConsentActivityPort has no implementation: import ConsentModule');
    return this.implementation;
  }
}
