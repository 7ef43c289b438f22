import type { EntityManager } from '@mikro-orm/postgresql';
import { ProgramGroup } from '@opendsp/groups';
import { lockChangeSequence, MEASUREMENT_KINDS, NEXT_CHANGE_SEQ, type MeasurementKind } from '@opendsp/measurements';
import { Enrollment, Participant, type EnrollmentStatus } from '@opendsp/participants';

/** The columns every reading has, as a test sets them. */
export interface ReadingBase {
  upstreamId: number;
  measuredAt: Date;
  /** The participant's wall-clock time; derived from `measuredAt` and `utcOffsetSeconds` when left out. */
  localTime?: string;
  utcOffsetSeconds?: number;
  deviceType?: string;
}

/** Kind-specific columns by their database names (e.g. `systolic_mmhg`). */
export type ReadingValues = Record<string, string | number | boolean | null | number[]>;

/** Plausible values of a kind's own columns for the n-th reading. */
export function sampleValues(kind: MeasurementKind, n: number): ReadingValues {
  switch (kind) {
    case 'blood_pressure':
      return { systolic_mmhg: 110 + (n % 40), diastolic_mmhg: 70 + (n % 20), pulse_bpm: 55 + (n % 30), possible_afib: n % 17 === 0 };
    case 'activity':
      return {
        steps: 1000 + n,
        aerobic_steps: n % 500,
        calories_kcal: 1800 + (n % 300),
        distance_km: 0.75 + n / 1000,
        distance_original: 0.75 + n / 1000,
        distance_unit: 'km',
      };
    case 'weight':
      return {
        upstream_id_ext: n % 3 === 0 ? null : 900000 + n,
        weight_kg: 60 + (n % 100) / 10,
        weight_original: 60 + (n % 100) / 10,
        weight_unit: 'kg',
        bmi: 21.5,
        body_fat_percent: n % 5 === 0 ? null : 22.1,
        skeletal_muscle_percent: 30.2,
        visceral_fat_level: 7,
        resting_metabolism_kcal: 1400,
      };
    case 'temperature':
      return { temperature_c: 36 + (n % 20) / 10, temperature_original: 36 + (n % 20) / 10, temperature_unit: '°C' };
    case 'oxygen':
      return { spo2_percent: 95 + (n % 5), pulse_bpm: n % 4 === 0 ? null : 60 + (n % 20) };
    case 'ecg':
      return {
        classification: n % 2 ? 'normal' : 'possible_afib',
        heart_rate_bpm: 60 + (n % 40),
        sampling_rate_hz: 500,
        duration_seconds: 30,
        waveform_uv: Array.from({ length: 200 }, (_, i) => Math.round(Math.sin((i + n) / 5) * 800)),
      };
  }
}

/** A plain scale's weight columns (no body composition), as the readings-landed tests and benches write them. */
export function plainWeightValues(kg: number): ReadingValues {
  return {
    upstream_id_ext: null,
    weight_kg: kg,
    weight_original: kg,
    weight_unit: 'kg',
    bmi: 22.1,
    body_fat_percent: null,
    skeletal_muscle_percent: null,
    visceral_fat_level: null,
    resting_metabolism_kcal: null,
  };
}

function wallClock(instant: Date, offsetSeconds: number): string {
  return new Date(instant.getTime() + offsetSeconds * 1000).toISOString().slice(0, 19);
}

/** A participant enrolled in `group` with `status` (and an internal customer ID, when given). */
export async function addParticipant(
  em: EntityManager,
  group: ProgramGroup,
  options: { status?: EnrollmentStatus; internalCustomerId?: string | null } = {},
): Promise<Participant> {
  const fork = em.fork();
  const participant = new Participant('omron_connect');
  const enrollment = new Enrollment(participant, fork.getReference(ProgramGroup, group.id), options.status ?? 'consented');
  enrollment.internalCustomerId = options.internalCustomerId ?? null;
  if (enrollment.status === 'consented') enrollment.consentedAt = new Date();
  await fork.persist([participant, enrollment]).flush();
  return participant;
}

/** Enrolls an existing participant in another group. */
export async function enroll(
  em: EntityManager,
  participant: Participant,
  group: ProgramGroup,
  status: EnrollmentStatus = 'consented',
): Promise<void> {
  const fork = em.fork();
  const enrollment = new Enrollment(fork.getReference(Participant, participant.id), fork.getReference(ProgramGroup, group.id), status);
  await fork.persist(enrollment).flush();
}

export async function setEnrollmentStatus(
  em: EntityManager,
  participant: Participant,
  group: ProgramGroup,
  status: EnrollmentStatus,
): Promise<void> {
  await em
    .fork()
    .getConnection()
    .execute(
      `update enrollment set status = ?, withdrawn_at = case when ? = 'withdrawn' then now() else withdrawn_at end where participant_id = ? and group_id = ?`,
      [status, status, participant.id, group.id],
    );
}

/**
 * Inserts readings the way every writer must: in one transaction, holding the change-sequence lock, each
 * row drawing its `change_seq` from the shared sequence. Returns the change sequence numbers, in order.
 */
export async function insertReadings(
  em: EntityManager,
  kind: MeasurementKind,
  participant: Participant,
  readings: (ReadingBase & { values?: ReadingValues })[],
): Promise<string[]> {
  if (readings.length === 0) return [];
  const table = MEASUREMENT_KINDS[kind].table;
  return em.fork().transactional(async (tx) => {
    await lockChangeSequence(tx);
    const seqs: string[] = [];
    // Batches keep the statement within PostgreSQL's parameter limit.
    for (let start = 0; start < readings.length; start += 500) {
      const batch = readings.slice(start, start + 500);
      const columns = Object.keys(batch[0].values ?? sampleValues(kind, 0));
      const params: unknown[] = [];
      const rows = batch.map((reading, index) => {
        const offset = reading.utcOffsetSeconds ?? 9 * 3600;
        const values = reading.values ?? sampleValues(kind, start + index);
        params.push(
          participant.id,
          reading.upstreamId,
          reading.measuredAt.toISOString(),
          reading.localTime ?? wallClock(reading.measuredAt, offset),
          offset,
          reading.deviceType ?? 'HEM-7600T',
          ...columns.map((column) => {
            const value = values[column];
            return Array.isArray(value) ? JSON.stringify(value) : value;
          }),
        );
        return `(?, ?, ?::timestamptz, ?, ?, ?, ${NEXT_CHANGE_SEQ}, ${columns.map(() => '?').join(', ')})`;
      });
      const inserted = await tx.getConnection().execute<{ change_seq: string }[]>(
        `insert into ${table} (participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq, ${columns.join(', ')})
           values ${rows.join(', ')} returning change_seq::text`,
        params,
        'all',
        tx.getTransactionContext(),
      );
      seqs.push(...inserted.map((row) => row.change_seq));
    }
    return seqs;
  });
}

/** `count` readings a minute apart from `start`, with upstream IDs from `firstId`. */
export function series(count: number, options: { start?: Date; firstId?: number; stepMs?: number } = {}): ReadingBase[] {
  const start = options.start ?? new Date('2026-11-01T00:00:00Z');
  const firstId = options.firstId ?? 1;
  const step = options.stepMs ?? 60_000;
  return Array.from({ length: count }, (_, i) => ({ upstreamId: firstId + i, measuredAt: new Date(start.getTime() + i * step) }));
}

/**
 * Gives an activity day (by its OMRON ID) the hours `hours`, with values made from the day's ID and the hour, the
 * way the writer stores them (the day keeps its change_seq).
 */
export async function insertActivityHours(em: EntityManager, participant: Participant, upstreamId: number, hours: number[]): Promise<void> {
  await em.getConnection().execute(
    `insert into activity_hourly_reading (activity_id, hour, steps, aerobic_steps, calories_kcal, distance_original)
       select a.id, h, ? + h * 10, h * 3, h + 1, (? + h) / 4.0
         from activity_reading a, unnest(?::int[]) as h
        where a.participant_id = ? and a.upstream_id = ?`,
    [upstreamId, upstreamId, `{${hours.join(',')}}`, participant.id, upstreamId],
  );
}
