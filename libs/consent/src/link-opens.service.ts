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

  /** The group's link openings (internal group ID): in all, and within the last 7 days (the funnel's figures). */
  async openedIn(em: EntityManager, groupUuid: string): Promise<{ total: number; last7Days: number }> {
    const [opens] = await em.execute<{ total: string | null; last7: string | null }[]>(
      `select sum(opens) as total, sum(opens) filter (where day > (current_date - 7)) as last7 from consent_link_open where group_id = ?`,
      [groupUuid],
    );
    return { total: Number(opens.total ?? 0), last7Days: Number(opens.last7 ?? 0) };
  }
}
