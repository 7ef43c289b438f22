import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { GroupLookups, type GroupLabel } from '@opendsp/groups';
import { ConsentedParticipants } from '@opendsp/participants';
import type { AlertRecord } from './alert-list.service.js';
import { alertChartPath } from './alert-rules.rules.js';

/** What names an alert to a reader is looked up from these. */
export type AlertReference = Pick<AlertRecord, 'groupId' | 'participantId' | 'readingKind' | 'readingId' | 'measuredAt'>;

/** An alert with its group, the participant's OGSC ID and the portal path of its reading on their chart. */
export type Labelled<T extends AlertReference> = T & {
  group: GroupLabel | null;
  ogscId: string | null;
  /** Null without an OGSC ID. */
  chartPath: string | null;
};

/** Labels alerts for the inbox, the REST API and the e-mail alike: their groups' labels and OGSC IDs. */
@Injectable()
export class AlertLabels {
  private readonly groups = new GroupLookups();

  constructor(
    private readonly participants: ConsentedParticipants,
    private readonly config: DspConfig,
  ) {}

  /** Two lookups, one after the other on `em`'s connection (its transaction's, if any). */
  async of<T extends AlertReference>(em: EntityManager, alerts: readonly T[]): Promise<Labelled<T>[]> {
    const labels = await this.groups.labelsOf(
      em,
      alerts.map((alert) => alert.groupId),
    );
    const ogscIds = await this.participants.ogscIds(
      em,
      alerts.map((alert) => alert.participantId),
    );
    const { timezone } = this.config.environment;
    return alerts.map((alert) => {
      const ogscId = ogscIds.get(alert.participantId) ?? null;
      const reading = { kind: alert.readingKind, id: alert.readingId, measuredAt: alert.measuredAt };
      return {
        ...alert,
        group: labels.get(alert.groupId) ?? null,
        ogscId,
        chartPath: ogscId ? alertChartPath(ogscId, reading, timezone) : null,
      };
    });
  }
}
