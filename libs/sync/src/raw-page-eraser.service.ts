import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ParticipantReadingsPort } from '@opendsp/participants';

/**
 * The measurement API's answers as received (`sync_raw_page`) hold a participant's readings too, so a
 * withdrawal that deletes the readings deletes them as well, in the same transaction, through the port
 * participants owns.
 */
@Injectable()
export class RawPageEraser implements OnModuleInit {
  constructor(private readonly participantReadings: ParticipantReadingsPort) {}

  onModuleInit(): void {
    this.participantReadings.implement(async (em, participantId) => {
      await em.execute(`delete from "sync_raw_page" where "participant_id" = ?`, [participantId]);
      // Raw pages are copies, not readings of their own: they do not add to the count.
      return 0;
    });
  }
}
