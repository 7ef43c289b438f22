import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  BloodPressureReading,
  EcgReading,
  MEASUREMENT_KINDS,
  OxygenReading,
  TemperatureReading,
  WeightReading,
  ActivityReading,
  type MeasurementKind,
} from '@opendsp/measurements';
import { Enrollment, type Participant } from '@opendsp/participants';
import { OmronConnection, type ConnectionState } from '@opendsp/tokens';

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

/** What the participant page shows: groups and their status, the OMRON connection, the latest readings. */
@Injectable()
export class ParticipantPageService {
  constructor(private readonly em: EntityManager) {}

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
      lastSyncAt: await this.lastSyncAt(em, participant.id),
      readings: await this.recentReadings(em, participant.id),
    };
  }

  private async lastSyncAt(em: EntityManager, participantId: string): Promise<Date | null> {
    const tables = Object.values(MEASUREMENT_KINDS).map((kind) => kind.table);
    const [row] = await em.getConnection().execute<{ at: Date | null }[]>(
      `select max(at) as at from (${tables.map((table) => `select max(updated_at) as at from "${table}" where participant_id = ?`).join(' union all ')}) latest`,
      tables.map(() => participantId),
    );
    return row?.at ? new Date(row.at) : null;
  }

  private async recentReadings(em: EntityManager, participantId: string): Promise<RecentReading[]> {
    const latest = { orderBy: { measuredAt: 'desc' as const }, limit: RECENT };
    const where = { participant: participantId };
    const reading = (
      kind: MeasurementKind,
      r: { measuredAt: Date; localTime: string; deviceType: string },
      valueKey: string,
      values: Record<string, string | number> = {},
    ): RecentReading => ({
      kind,
      measuredAt: r.measuredAt,
      localTime: r.localTime.replace('T', ' ').slice(0, 16),
      deviceType: r.deviceType,
      valueKey,
      values,
    });
    const all: RecentReading[] = [
      ...(await em.find(BloodPressureReading, where, latest)).map((r) =>
        r.possibleAfib
          ? reading('blood_pressure', r, 'reading.value.afib')
          : reading('blood_pressure', r, 'reading.value.blood_pressure', {
              systolic: r.systolicMmhg ?? '–',
              diastolic: r.diastolicMmhg ?? '–',
              pulse: r.pulseBpm ?? '–',
            }),
      ),
      ...(await em.find(WeightReading, where, latest)).map((r) => reading('weight', r, 'reading.value.weight', { kg: number(r.weightKg) })),
      ...(await em.find(ActivityReading, where, latest)).map((r) =>
        reading('activity', r, 'reading.value.activity', { steps: r.steps.toLocaleString('en-US') }),
      ),
      ...(await em.find(TemperatureReading, where, latest)).map((r) =>
        reading('temperature', r, 'reading.value.temperature', { celsius: number(r.temperatureC) }),
      ),
      ...(await em.find(OxygenReading, where, latest)).map((r) =>
        reading('oxygen', r, 'reading.value.oxygen', { percent: number(r.spo2Percent, 0) }),
      ),
      ...(
        await em.find(EcgReading, where, { ...latest, fields: ['measuredAt', 'localTime', 'deviceType', 'classification', 'heartRateBpm'] })
      ).map((r) => reading('ecg', r, 'reading.value.ecg', { classification: r.classification, bpm: r.heartRateBpm })),
    ];
    return all.sort((a, b) => b.measuredAt.getTime() - a.measuredAt.getTime()).slice(0, RECENT);
  }
}
