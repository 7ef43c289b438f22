import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AlertLabels, AlertList, AlertNotFoundError, AlertNotOpenError, type AlertRecord } from '@opendsp/alerts';
import { DspConfig } from '@opendsp/config';
import { ISO_MILLIS, UUID } from '@opendsp/pagination';
import { Participant } from '@opendsp/participants';
import { apiActor, type ApiPrincipal } from '../auth/api-principal.types.js';
import type { AlertDto, AlertPageDto, ListAlertsQuery } from '../dto/alerts.dto.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { decodeCursor, encodeCursor, isoOrNull } from './cursor.helpers.js';
import { GroupsApiService } from './groups-api.service.js';

/** A group's alerts for API clients: libs/alerts' list for a group the client may see, and acknowledging one. */
@Injectable()
export class AlertsApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsApiService,
    private readonly alerts: AlertList,
    private readonly labels: AlertLabels,
    private readonly config: DspConfig,
  ) {}

  /** One page of the group's alerts, newest first (keyset on raised time and ID). */
  async page(principal: ApiPrincipal, groupId: string, query: ListAlertsQuery): Promise<AlertPageDto> {
    const em = this.em.fork();
    const group = await this.groups.visibleGroup(em, principal, groupId);
    const [raisedAt, id] = decodeCursor(query.cursor, [ISO_MILLIS, UUID]) ?? [];
    let participantId: string | undefined;
    if (query.participant) {
      const participant = await em.findOne(Participant, { ogscId: query.participant }, { fields: ['id'] });
      // Nobody by that ID: an empty list, as for a participant without alerts here.
      if (!participant) return { data: [], nextCursor: null };
      participantId = participant.id;
    }
    const page = await this.alerts.page([group.id], {
      status: query.state,
      rule: query.rule,
      participantId,
      after: raisedAt ? { raisedAt: new Date(raisedAt), id } : undefined,
      limit: query.limit,
    });
    return {
      data: await this.views(em, page.alerts),
      nextCursor: page.next ? encodeCursor([page.next.raisedAt.toISOString(), page.next.id]) : null,
    };
  }

  /** Acknowledges an open alert of the group with a note, audited as the client. */
  async acknowledge(principal: ApiPrincipal, groupId: string, alertId: string, note: string, ip: string | undefined): Promise<AlertDto> {
    const em = this.em.fork();
    const group = await this.groups.visibleGroup(em, principal, groupId);
    const actor = apiActor(principal, ip);
    try {
      const alert = await this.alerts.acknowledge([group.id], alertId, note, { adminId: null, login: actor.login }, actor);
      return (await this.views(em, [alert]))[0];
    } catch (error) {
      if (error instanceof AlertNotFoundError)
        throw new ApiProblem('alert_not_found', `No alert ${alertId} in group ${groupId} is visible to this client.`);
      if (error instanceof AlertNotOpenError) throw new ApiProblem('alert_not_open', `The alert is already ${error.status}.`);
      throw error;
    }
  }

  private async views(em: EntityManager, alerts: readonly AlertRecord[]): Promise<AlertDto[]> {
    return (await this.labels.of(em, alerts)).map((alert) => ({
      id: alert.id,
      rule: alert.rule,
      state: alert.status,
      groupId: alert.group?.groupId ?? '',
      ogscId: alert.ogscId ?? '',
      raisedAt: alert.raisedAt.toISOString(),
      measuredAt: isoOrNull(alert.measuredAt),
      readingKind: alert.readingKind,
      detail: alert.detail,
      acknowledgedAt: isoOrNull(alert.acknowledgedAt),
      acknowledgedBy: alert.acknowledgedLogin,
      note: alert.note,
      resolvedAt: isoOrNull(alert.resolvedAt),
      resolution: alert.resolution,
      // Without an OGSC ID (not seen: a withdrawal deletes its alerts), the alert's own page in the portal.
      portalUrl: this.config.http.publicBaseUrl + (alert.chartPath ?? `/alerts/${alert.id}`),
    }));
  }
}
