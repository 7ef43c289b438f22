import type { EntityManager } from '@mikro-orm/postgresql';
import { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import type { ProgramGroup } from '@opendsp/groups';
import { lockChangeSequence, NEXT_CHANGE_SEQ } from '@opendsp/measurements';
import { Enrollment, Participant, type EnrollmentMethod, type EnrollmentStatus } from '@opendsp/participants';
import { OmronConnection, OmronConnectionEvent, type ConnectionState } from '@opendsp/tokens';
import type { NewReading } from '../../apps/omron-sandbox/src/measurements/reading-input.js';

/**
 * Participants, connections and readings for the data-view tests and the bench, written the way the
 * platform writes them: entities through MikroORM, readings in one transaction under the change-sequence
 * lock with `NEXT_CHANGE_SEQ`, AFib readings with null values (OMRON sends 0), and the enrollment's
 * first/last reading times and the device list kept up to date as sync does.
 */
export async function withOrm<T>(settings: DatabaseSettings, work: (orm: MikroORM) => Promise<T>): Promise<T> {
  const orm = await MikroORM.init(dspOrmConfig(settings));
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}

export interface ParticipantSpec {
  method?: EnrollmentMethod;
  loginId?: string;
  /** Enrollments: the group, status and internal customer ID in each. */
  groups: { group: ProgramGroup; status: EnrollmentStatus; internalCustomerId?: string; createdAt?: Date }[];
  /** An OMRON connection in this state, with its history from `active`. */
  connection?: ConnectionState;
}

export interface CreatedParticipant {
  participant: Participant;
  enrollments: Enrollment[];
  connection: OmronConnection | null;
}

let sequence = 0;

export async function createParticipant(em: EntityManager, spec: ParticipantSpec): Promise<CreatedParticipant> {
  const participant = new Participant(spec.method ?? (spec.loginId ? 'pre_created' : 'omron_connect'));
  participant.loginId = spec.loginId ?? null;
  let connection: OmronConnection | null = null;
  const events: OmronConnectionEvent[] = [];
  if (spec.connection) {
    participant.omronUserId = `omron-user-${process.pid}-${++sequence}-${Math.random().toString(36).slice(2, 8)}`;
    connection = new OmronConnection({
      omronUserId: participant.omronUserId,
      scopes: 'openid offline_access bloodpressure activity weight temperature oxygen',
      redirectUri: 'https://dsp.example.test/consent/callback',
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
      accessTokenLifetimeSeconds: 3600,
    });
    connection.state = spec.connection;
    connection.stateChangedAt = new Date(Date.now() - 3_600_000);
    events.push(new OmronConnectionEvent(connection.id, null, 'active', 'connected'));
    events[0].occurredAt = new Date(Date.now() - 30 * 86_400_000);
    if (spec.connection !== 'active') {
      connection.stateReason = spec.connection === 'reconnect_needed' ? 'invalid_grant' : spec.connection;
      const event = new OmronConnectionEvent(connection.id, 'active', spec.connection, connection.stateReason);
      event.occurredAt = connection.stateChangedAt;
      events.push(event);
    }
  }
  const enrollments = spec.groups.map(({ group, status, internalCustomerId, createdAt }) => {
    const enrollment = new Enrollment(participant, group, status);
    enrollment.internalCustomerId = internalCustomerId ?? null;
    enrollment.invitedAt = createdAt ?? new Date(Date.now() - 40 * 86_400_000);
    if (createdAt) enrollment.createdAt = createdAt;
    if (status === 'consented' || status === 'withdrawn') {
      enrollment.consentedAt = new Date(Date.now() - 35 * 86_400_000);
      enrollment.consentedScopes = 'bloodpressure activity weight temperature oxygen';
    }
    if (status === 'withdrawn') {
      enrollment.withdrawnAt = new Date(Date.now() - 2 * 86_400_000);
      enrollment.withdrawnBy = 'participant';
    }
    return enrollment;
  });
  em.persist([participant, ...enrollments, ...(connection ? [connection] : []), ...events]);
  await em.flush();
  return { participant, enrollments, connection };
}

const pad = (value: number) => String(value).padStart(2, '0');

/** `YYYY-MM-DDTHH:mm:ss` of an instant at a UTC offset. */
export function localTimeOf(instant: Date, offsetSeconds: number): string {
  const shifted = new Date(instant.getTime() + offsetSeconds * 1000);
  return `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}T${pad(shifted.getUTCHours())}:${pad(
    shifted.getUTCMinutes(),
  )}:${pad(shifted.getUTCSeconds())}`;
}

/**
 * Stores readings (as the sandbox's generator makes them) for a participant in one transaction under the
 * change-sequence lock, and updates the enrollments' first/last reading times and the device list.
 * `receivedAt` sets `created_at` (default: now), for tests of "received in the last 24 hours".
 */
export async function storeReadings(
  em: EntityManager,
  participantId: string,
  readings: NewReading[],
  options: { utcOffsetSeconds?: number; receivedAt?: Date } = {},
): Promise<void> {
  if (readings.length === 0) return;
  const offset = options.utcOffsetSeconds ?? 9 * 3600;
  const received = (options.receivedAt ?? new Date()).toISOString();
  await em.fork().transactional(async (tx) => {
    const connection = tx.getConnection();
    const context = tx.getTransactionContext();
    const run = (sql: string, params: unknown[]) => connection.execute<{ id: string }[]>(sql, params, 'all', context);
    await lockChangeSequence(tx);
    let upstream = 0;
    for (const reading of readings) {
      const base = [participantId, String(reading.measuredAt.getTime() * 10 + (upstream++ % 10)), reading.measuredAt.toISOString()];
      const local = localTimeOf(reading.measuredAt, reading.utcOffsetSeconds ?? offset);
      const common = `participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq, created_at, updated_at`;
      const commonValues = `?, ?, ?::timestamptz, ?, ?, ?, ${NEXT_CHANGE_SEQ}, ?::timestamptz, ?::timestamptz`;
      const head = [...base, local, reading.utcOffsetSeconds ?? offset, reading.deviceType];
      switch (reading.type) {
        case 'bloodpressure': {
          const afib = reading.values.possibleAfib;
          await run(
            `insert into blood_pressure_reading (${common}, systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib) values (${commonValues}, ?, ?, ?, ?)`,
            [
              ...head,
              received,
              received,
              afib ? null : reading.values.systolic,
              afib ? null : reading.values.diastolic,
              afib ? null : reading.values.pulse,
              afib,
            ],
          );
          break;
        }
        case 'activity': {
          const values = reading.values;
          const [row] = await run(
            `insert into activity_reading (${common}, steps, aerobic_steps, calories_kcal, distance_km, distance_original, distance_unit)
             values (${commonValues}, ?, ?, ?, ?, ?, ?) returning id`,
            [
              ...head,
              received,
              received,
              values.steps,
              values.aerobicSteps,
              values.calories,
              values.distanceMeters / 1000,
              values.distanceMeters / 1000,
              'km',
            ],
          );
          for (const hour of values.hourly ?? []) {
            await run(
              `insert into activity_hourly_reading (activity_id, hour, steps, aerobic_steps, calories_kcal, distance_original) values (?, ?, ?, ?, ?, ?)`,
              [row.id, hour.hour, hour.steps, hour.aerobicSteps, hour.calories, hour.distanceMeters / 1000],
            );
          }
          break;
        }
        case 'weight': {
          const values = reading.values;
          await run(
            `insert into weight_reading (${common}, upstream_id_ext, weight_kg, weight_original, weight_unit, bmi, body_fat_percent,
               skeletal_muscle_percent, visceral_fat_level, resting_metabolism_kcal) values (${commonValues}, null, ?, ?, 'kg', ?, ?, ?, ?, ?)`,
            [
              ...head,
              received,
              received,
              values.weightKg,
              values.weightKg,
              values.bmi,
              values.bodyFatPercentage,
              values.skeletalMusclePercentage,
              values.visceralFatLevel,
              values.restingMetabolism,
            ],
          );
          break;
        }
        case 'temperature':
          await run(
            `insert into temperature_reading (${common}, temperature_c, temperature_original, temperature_unit) values (${commonValues}, ?, ?, '°C')`,
            [...head, received, received, reading.values.celsius, reading.values.celsius],
          );
          break;
        case 'oxygen':
          await run(`insert into oxygen_reading (${common}, spo2_percent, pulse_bpm) values (${commonValues}, ?, ?)`, [
            ...head,
            received,
            received,
            reading.values.spo2,
            reading.values.pulse,
          ]);
          break;
        case 'ecg':
          await run(
            `insert into ecg_reading (${common}, classification, heart_rate_bpm, sampling_rate_hz, duration_seconds, waveform_uv)
             values (${commonValues}, ?, ?, ?, ?, ?::jsonb)`,
            [
              ...head,
              received,
              received,
              reading.values.classification,
              reading.values.heartRate,
              reading.values.samplingRate,
              reading.values.durationSeconds,
              JSON.stringify(reading.values.waveform),
            ],
          );
          break;
      }
    }
    const times = readings.map((reading) => reading.measuredAt.getTime());
    const first = new Date(Math.min(...times)).toISOString();
    const last = new Date(Math.max(...times)).toISOString();
    await run(
      `update enrollment set first_reading_at = least(coalesce(first_reading_at, ?::timestamptz), ?::timestamptz),
         last_reading_at = greatest(coalesce(last_reading_at, ?::timestamptz), ?::timestamptz)
       where participant_id = ? and status = 'consented'`,
      [first, first, last, last, participantId],
    );
    const devices = new Map<string, number[]>();
    for (const reading of readings)
      devices.set(reading.deviceType, [...(devices.get(reading.deviceType) ?? []), reading.measuredAt.getTime()]);
    for (const [device, seen] of devices) {
      await run(
        `insert into participant_device (participant_id, device_type, first_seen_at, last_seen_at) values (?, ?, ?::timestamptz, ?::timestamptz)
         on conflict (participant_id, device_type) do update set first_seen_at = least(participant_device.first_seen_at, excluded.first_seen_at),
           last_seen_at = greatest(participant_device.last_seen_at, excluded.last_seen_at)`,
        [participantId, device, new Date(Math.min(...seen)).toISOString(), new Date(Math.max(...seen)).toISOString()],
      );
    }
  });
}
