import { createHash } from 'node:crypto';
import type { DatabaseSettings } from '@opendsp/config';
import { lockChangeSequence, NEXT_CHANGE_SEQ } from '@opendsp/measurements';
import { withOrm } from './data-views-fixtures.js';

/**
 * A production-sized environment in a few minutes, with generate_series: groups, participants with
 * enrollments (some in two groups), OMRON connections with history, devices, and readings of every kind
 * spread over a year, each table written in one transaction under the change-sequence lock. Shapes:
 * - participant n is in group n % groups (and every 10th also in the next group); OGSC IDs from md5 hex
 *   (a subset of the Crockford alphabet); internal customer ID `CUST-<n, 7 digits>`;
 * - enrollment status by n % 100: < 88 consented, < 93 invited, < 96 link opened, else withdrawn;
 * - every 10th participant is pre-created (login `scale-login-<n>`, no connection); the others connect,
 *   and of those 2 % need to reconnect and 1 % are revoked;
 * - consented participants have readings ending `n % 25 == 0 ? 10–30 days ago (stale) : today`;
 * - `created_at` of a reading is its measurement time plus five minutes, inserted oldest first, so the
 *   tables' physical order follows arrival as it does in production (what the BRIN indexes rely on).
 */
export interface ScaleShape {
  participants: number;
  groups: number;
  /** Readings per consented participant and kind; the total is about participants × 0.88 × their sum. */
  readingsPerParticipant: { blood_pressure: number; weight: number; activity: number; temperature: number; oxygen: number };
  /** Participants (n % this == 1) that also get hourly activity and two ECG recordings. */
  detailEvery: number;
}

export const FULL_SCALE: ScaleShape = {
  participants: 100_000,
  groups: 20,
  readingsPerParticipant: { blood_pressure: 45, weight: 23, activity: 18, temperature: 15, oxygen: 13 },
  detailEvery: 500,
};

const OGSC = (n: string) => `'OG-' || upper(substr(md5('ogsc-' || ${n}) || md5('ogsc2-' || ${n}), 1, 24))`;
/** The end of participant n's readings: today, or 10–30 days ago for every 25th (they went quiet). */
const READINGS_END = (n: string) =>
  `(now() - case when ${n} % 25 = 0 then (10 + ${n} % 21) * interval '1 day' else (${n} % 20) * interval '1 hour' end)`;

export async function seedScale(
  settings: DatabaseSettings,
  shape: ScaleShape,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  await withOrm(settings, async (orm) => {
    const run = async (label: string, sql: string) => {
      const started = performance.now();
      await orm.em.fork().getConnection().execute(sql, [], 'run');
      log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    };
    /** Inserts readings the way every writer must: one transaction, the change-sequence lock, NEXT_CHANGE_SEQ. */
    const readings = async (label: string, ...statements: string[]) => {
      const started = performance.now();
      await orm.em.fork().transactional(async (em) => {
        await lockChangeSequence(em);
        for (const sql of statements) await em.getConnection().execute(sql, [], 'run', em.getTransactionContext());
      });
      log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    };
    const N = shape.participants;
    const consented = (n: string) => `${n} % 100 < 88`;

    await run(
      'groups',
      `insert into program_group (id, group_id, display_name, description, created_at)
       select gen_random_uuid(), 'S' || lpad(g::text, 11, '0'), 'Scale group ' || lpad(g::text, 2, '0'), '', now() - interval '400 days'
         from generate_series(0, ${shape.groups - 1}) g`,
    );
    await run(
      'participants',
      `insert into participant (id, ogsc_id, omron_user_id, enrollment_method, login_id, must_change_password, created_at, updated_at)
       select gen_random_uuid(), ${OGSC('n')}, case when n % 10 <> 0 then 'scale-sub-' || n end,
              case when n % 10 = 0 then 'pre_created' else 'omron_connect' end, case when n % 10 = 0 then 'scale-login-' || n end,
              false, date_trunc('milliseconds', now() - n * interval '5 minutes'), now()
         from generate_series(1, ${N}) n`,
    );
    // Participant numbers and IDs, for the statements below (a real table: each statement may use another connection).
    await run(
      'participant numbers',
      `create table scale_n as select n, p.id as participant_id from generate_series(1, ${N}) n join participant p on p.ogsc_id = ${OGSC('n')}`,
    );
    await run('participant numbers key', 'alter table scale_n add primary key (n)');
    const enrollment = (groupExpr: string, where: string, idPrefix: string) =>
      `insert into enrollment (id, participant_id, group_id, status, internal_customer_id, invited_at, link_opened_at, consented_at,
         consented_scopes, withdrawn_at, withdrawn_by, created_at, updated_at)
       select gen_random_uuid(), p.id, g.id,
              case when n % 100 < 88 then 'consented' when n % 100 < 93 then 'invited' when n % 100 < 96 then 'link_opened' else 'withdrawn' end,
              '${idPrefix}' || lpad(n::text, 7, '0'), p.created_at,
              case when n % 100 >= 93 or n % 100 < 88 then p.created_at + interval '1 hour' end,
              case when n % 100 < 88 or n % 100 >= 96 then p.created_at + interval '2 hours' end,
              case when n % 100 < 88 or n % 100 >= 96 then 'bloodpressure activity weight temperature oxygen' end,
              case when n % 100 >= 96 then now() - (n % 60) * interval '1 day' end, case when n % 100 >= 96 then 'participant' end,
              p.created_at, now()
         from scale_n s join participant p on p.id = s.participant_id
         join program_group g on g.group_id = 'S' || lpad((${groupExpr})::text, 11, '0')
        where ${where}`;
    await run('enrollments', enrollment(`n % ${shape.groups}`, 'true', 'CUST-'));
    await run('second enrollments', enrollment(`(n + 1) % ${shape.groups}`, 'n % 10 = 5', 'ALT-'));
    await run(
      'connections',
      `insert into omron_connection (id, omron_user_id, scopes, redirect_uri, access_token_expires_at, access_token_lifetime_seconds, state,
         state_changed_at, state_reason, transient_failures, created_at, updated_at)
       select gen_random_uuid(), p.omron_user_id, 'openid offline_access bloodpressure activity weight temperature oxygen',
              'https://dsp.example.test/consent/callback', now() + interval '1 hour', 3600,
              case when n % 100 >= 96 then 'withdrawn' when n % 50 = 1 then 'reconnect_needed' when n % 100 = 3 then 'revoked' else 'active' end,
              now() - (n % 90) * interval '1 day', case when n % 50 = 1 then 'invalid_grant' end, 0, p.created_at, now()
         from scale_n s join participant p on p.id = s.participant_id where p.omron_user_id is not null`,
    );
    await run(
      'connection events',
      `insert into omron_connection_event (connection_id, from_state, to_state, reason, occurred_at)
       select c.id, null, 'active', 'connected', c.created_at from omron_connection c
       union all
       select c.id, 'active', c.state, c.state_reason, c.state_changed_at from omron_connection c where c.state <> 'active'`,
    );
    await run(
      'devices',
      `insert into participant_device (participant_id, device_type, first_seen_at, last_seen_at)
       select p.id, d.device, now() - interval '365 days', now() - interval '1 day'
         from scale_n s join participant p on p.id = s.participant_id
         cross join (values ('HEM-7361T'), ('HBF-222T')) d(device) where ${consented('n')}`,
    );

    const kinds = shape.readingsPerParticipant;
    // Reading g of a participant: evenly over the year before READINGS_END, oldest (highest g) inserted first.
    const series = (count: number, extraWhere = '') =>
      `from generate_series(${count - 1}, 0, -1) g cross join lateral (
         select s.n, p.id as participant_id, ${READINGS_END('s.n')} - g * (interval '365 days' / ${count}) - (s.n % 3600) * interval '1 second' as at
           from scale_n s join participant p on p.id = s.participant_id where ${consented('s.n')} ${extraWhere}) r`;
    const common = `participant_id, upstream_id, measured_at, local_time, utc_offset_seconds, device_type, change_seq, created_at, updated_at`;
    const commonValues = (kind: number, device: string) =>
      `r.participant_id, ${kind} * 1000000 + g, r.at, to_char(r.at + interval '9 hours', 'YYYY-MM-DD"T"HH24:MI:SS'), 32400, '${device}',
       ${NEXT_CHANGE_SEQ}, r.at + interval '5 minutes', r.at + interval '5 minutes'`;
    await readings(
      `blood pressure (${kinds.blood_pressure} each)`,
      `insert into blood_pressure_reading (${common}, systolic_mmhg, diastolic_mmhg, pulse_bpm, possible_afib)
       select ${commonValues(1, 'HEM-7361T')},
              case when (r.n + g) % 37 = 0 then null else 105 + (r.n * 7 + g * 13) % 50 end,
              case when (r.n + g) % 37 = 0 then null else 65 + (r.n * 3 + g * 7) % 30 end,
              case when (r.n + g) % 37 = 0 then null else 58 + (r.n + g * 11) % 35 end,
              (r.n + g) % 37 = 0
       ${series(kinds.blood_pressure)}`,
    );
    await readings(
      `weight (${kinds.weight} each)`,
      `insert into weight_reading (${common}, upstream_id_ext, weight_kg, weight_original, weight_unit, bmi, body_fat_percent,
         skeletal_muscle_percent, visceral_fat_level, resting_metabolism_kcal)
       select ${commonValues(2, 'HBF-222T')}, null, 55 + r.n % 45 + (g % 10) / 10.0, 55 + r.n % 45 + (g % 10) / 10.0, 'kg',
              20 + (r.n % 12) + (g % 10) / 10.0, 18 + r.n % 20 + (g % 5) / 10.0, 30 + r.n % 12, 5 + r.n % 10, 1300 + r.n % 500
       ${series(kinds.weight)}`,
    );
    await readings(
      `activity (${kinds.activity} days each)`,
      `insert into activity_reading (${common}, steps, aerobic_steps, calories_kcal, distance_km, distance_original, distance_unit)
       select ${commonValues(3, 'HJ-325')}, 2000 + (r.n * 31 + g * 17) % 12000, (r.n * 31 + g * 17) % 4000, 100 + (r.n + g) % 300,
              ((2000 + (r.n * 31 + g * 17) % 12000) * 0.0007)::double precision, ((2000 + (r.n * 31 + g * 17) % 12000) * 0.0007)::double precision, 'km'
       ${series(kinds.activity)}`,
    );
    await readings(
      `temperature (${kinds.temperature} each)`,
      `insert into temperature_reading (${common}, temperature_c, temperature_original, temperature_unit)
       select ${commonValues(4, 'MC-720')}, 36 + ((r.n + g * 3) % 15) / 10.0, 36 + ((r.n + g * 3) % 15) / 10.0, '°C'
       ${series(kinds.temperature)}`,
    );
    await readings(
      `SpO2 (${kinds.oxygen} each)`,
      `insert into oxygen_reading (${common}, spo2_percent, pulse_bpm)
       select ${commonValues(5, 'blesmart_00060002b87c6f2aeac4')}, 93 + (r.n + g) % 7, 60 + (r.n * 3 + g) % 30
       ${series(kinds.oxygen)}`,
    );
    await readings(
      'hourly activity and ECG for detail participants',
      `insert into activity_hourly_reading (activity_id, hour, steps, aerobic_steps, calories_kcal, distance_original)
       select a.id, h, (a.steps / 24) + (h * 37) % 50, 0, a.calories_kcal / 24, a.distance_km / 24
         from scale_n s join activity_reading a on a.participant_id = s.participant_id
         cross join generate_series(0, 23) h where s.n % ${shape.detailEvery} = 1 and ${consented('s.n')}`,
      `insert into ecg_reading (${common}, classification, heart_rate_bpm, sampling_rate_hz, duration_seconds, waveform_uv)
       select ${commonValues(6, 'KardiaMobile 6L')}, case when g = 0 then 'possibleAfib' else 'normal' end, 72, 250, 30,
              (select jsonb_agg(round(1000 * exp(-least(50, power(((i % 208) - 50) / 3.0, 2))) + 100 * sin(i / 20.0))::int order by i) from generate_series(0, 7499) i)
       ${series(2, `and s.n % ${shape.detailEvery} = 1`)}`,
    );
    await run(
      'first and last reading times',
      `update enrollment e set first_reading_at = m.first, last_reading_at = m.last
         from (select participant_id, min(measured_at) as first, max(measured_at) as last from blood_pressure_reading group by participant_id) m
        where m.participant_id = e.participant_id and e.status = 'consented'`,
    );
    await run('drop participant numbers', 'drop table scale_n');
    await run('vacuum analyze', 'vacuum analyze');
  });
}

/** The OGSC ID seedScale gives participant n (the same md5 expression, in JS). */
export function scaleOgscId(n: number): string {
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  return `OG-${(md5(`ogsc-${n}`) + md5(`ogsc2-${n}`)).slice(0, 24).toUpperCase()}`;
}

/** The public group ID of seedScale's group g. */
export function scaleGroupId(g: number): string {
  return `S${String(g).padStart(11, '0')}`;
}
