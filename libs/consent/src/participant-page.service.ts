import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { MEASUREMENT_KIND_NAMES, ReadingsRepository, type MeasurementKind, type PortalReadingRow } from '@opendsp/measurements';
import { Enrollment, type Participant } from '@opendsp/participants';
import { OmronConnection, type ConnectionState } from '@opendsp/tokens';
import { reconnectScopes } from './consent-scopes.rules.js';

export interface RecentReading {
  kind: MeasurementKind;
  measuredAt: Date;
  /** The participant's wall-clock time, `YYYY-MM-DD HH:mm`. */
  localTime: string;
  /** Message key and parameters of the values (e.g. `reading.value.weight`, `{ kg: '71.6' }`). */
  valueKey: string;
  values: Record<string, string | number>;
  deviceType: string;
}

export interface ParticipantOverview {
  participant: Participant;
  enrollments: Enrollment[];
  connection: { state: ConnectionState; stateChangedAt: Date; needsReconnect: boolean } | null;
  /** Shows the "connect / reconnect" button: consented somewhere, but no working connection. */
  canConnect: boolean;
  /** When the newest reading reached the platform. */
  lastSyncAt: Date | null;
  readings: RecentReading[];
}

const RECENT = 10;
const number = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

/** How each kind's values read on the page: a message key and its parameters, from the catalogue's `portalField`s. */
const VALUES: Record<MeasurementKind, (row: PortalReadingRow) => { key: string; values?: Record<string, string | number> }> = {
  blood_pressure: (row) =>
    row.possibleAfib
      ? { key: 'reading.value.afib' }
      : {
          key: 'reading.value.blood_pressure',
          values: {
            systolic: (row.systolic as number | null) ?? '–',
            diastolic: (row.diastolic as number | null) ?? '–',
            pulse: (row.pulse as number | null) ?? '–',
          },
        },
  weight: (row) => ({ key: 'reading.value.weight', values: { kg: number(row.weightKg as number | null) } }),
  activity: (row) => ({ key: 'reading.value.activity', values: { steps: (row.steps as number).toLocaleString('en-US') } }),
  temperature: (row) => ({ key: 'reading.value.temperature', values: { celsius: number(row.temperatureC as number) } }),
  oxygen: (row) => ({ key: 'reading.value.oxygen', values: { percent: number(row.spo2Percent as number, 0) } }),
  ecg: (row) => ({
    key: 'reading.value.ecg',
    values: { classification: row.classification as string, bpm: row.heartRateBpm as number },
  }),
};

/** What the participant page shows: groups and their status, the OMRON connection, the latest readings. */
@Injectable()
export class ParticipantPageService {
  constructor(
    private readonly em: EntityManager,
    private readonly readings: ReadingsRepository,
    private readonly config: DspConfig,
  ) {}

  /** The scopes to authorise OMRON again with: as consent asked, each consented group's data types together. */
  async reconnectScopes(participantId: string): Promise<string> {
    const consented = await this.em.fork().find(Enrollment, { participant: participantId, status: 'consented' }, { populate: ['group'] });
    return reconnectScopes(
      this.config.environment.region.id,
      consented.map((enrollment) => enrollment.group.dataTypes),
    );
  }

  /** The participant's consented enrollment `enrollmentId` with its group, which they may withdraw; null for any other ID. */
  withdrawable(participantId: string, enrollmentId: string): Promise<Enrollment | null> {
    if (!/^[0-9a-f-]{36}$/.test(enrollmentId)) return Promise.resolve(null);
    return this.em
      .fork()
      .findOne(Enrollment, { id: enrollmentId, participant: participantId, status: 'consented' }, { populate: ['group'] });
  }

  async overview(participant: Participant): Promise<ParticipantOverview> {
    const em = this.em.fork();
    const enrollments = await em.find(Enrollment, { participant: participant.id }, { populate: ['group'], orderBy: { createdAt: 'asc' } });
    const row = participant.omronUserId ? await em.findOne(OmronConnection, { omronUserId: participant.omronUserId }) : null;
    const working = row?.state === 'active' || row?.state === 'refreshing';
    const consented = enrollments.some((enrollment) => enrollment.status === 'consented');
    return {
      participant,
      enrollments,
      connection: row ? { state: row.state, stateChangedAt: row.stateChangedAt, needsReconnect: !working } : null,
      canConnect: consented && !working,
      lastSyncAt: await this.readings.lastStoredAt(em, participant.id),
      readings: await this.recentReadings(em, participant.id),
    };
  }

  /** The newest readings of every kind together, newest first. */
  private async recentReadings(em: EntityManager, participantId: string): Promise<RecentReading[]> {
    const all: RecentReading[] = [];
    for (const kind of MEASUREMENT_KIND_NAMES) {
      for (const row of await this.readings.portalPeriod(em, kind, participantId, { limit: RECENT })) {
        const { key, values = {} } = VALUES[kind](row);
        all.push({
          kind,
          measuredAt: row.measuredAt,
          localTime: row.localTime.replace('T', ' ').slice(0, 16),
          deviceType: row.deviceType,
          valueKey: key,
          values,
        });
      }
    }
    return all.sort((a, b) => b.measuredAt.getTime() - a.measuredAt.getTime()).slice(0, RECENT);
  }
}
