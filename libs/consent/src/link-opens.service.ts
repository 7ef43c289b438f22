import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import type { ProgramGroup } from '@opendsp/groups';

/** Counts consent link openings per group and day (table `consent_link_open`, read by the enrollment funnel). */
@Injectable()
export class LinkOpens {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  async count(group: ProgramGroup): Promise<void> {
    await this.em
      .fork()
      .getConnection()
      .execute(
        `insert into consent_link_open (group_id, day, opens) values (?, (now() at time zone ?)::date, 1)
           on conflict (group_id, day) do update set opens = consent_link_open.opens + 1`,
        [group.id, this.config.environment.timezone],
        'run',
      );
  }
}
