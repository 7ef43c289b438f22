import type { AddressInfo } from 'node:net';
import { MikroORM } from '@mikro-orm/postgresql';
import { ProgramGroup } from '@opendsp/groups';
import { MEASUREMENT_KINDS, type MeasurementKind } from '@opendsp/measurements';
import { Enrollment, Participant } from '@opendsp/participants';
import { DEAD_LETTER_QUEUE, JOB_SCHEMA, PULL_QUEUE } from '@opendsp/sync';
import type { OmronConnection } from '@opendsp/tokens';
import type { MeasurementQuery, MeasurementSuccessResponse } from '@opendsp/omron-api';
import { MeasurementAccessGuard, type MeasurementRequest } from '../../apps/omron-sandbox/src/measurements/measurement-access.guard.js';
import { MeasurementApiService } from '../../apps/omron-sandbox/src/measurements/measurement-api.service.js';
import type { AuthenticatedAccess } from '../../apps/omron-sandbox/src/oauth/index.js';
import { upsertRegisteredApp } from '../../apps/omron-sandbox/src/registered-apps/registered-apps.service.js';
import { adminQuery } from './test-database.js';
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, startTokenStack, type TokenStack } from './token-stack.js';

/** Every scope, every measurement type included. */
export const ALL_SCOPES = 'bloodpressure activity weight temperature oxygen ecg openid offline_access';

/** Platform settings that keep the sync quick under test: no upstream budget to speak of, short retries and heartbeats. */
export const FAST_SYNC_ENV: Record<string, string> = {
  SYNC_UPSTREAM_REQUESTS_PER_MINUTE: '60000',
  SYNC_JOB_RETRY_DELAY_SECONDS: '1',
  SYNC_JOB_HEARTBEAT_SECONDS: '10',
  SYNC_JOB_SUPERVISE_SECONDS: '2',
  SYNC_CIRCUIT_COOLDOWN_SECONDS: '2',
  SYNC_REQUEST_BACKOFF_MS: '100',
  SYNC_REQUEST_TIMEOUT_SECONDS: '5',
  NOTIFICATION_RATE_LIMIT_PER_MINUTE: '1000000',
};

export interface EnrolledParticipant {
  participantId: string;
  sandboxUserId: string;
  omronUserId: string;
  connection: OmronConnection;
}

/** A reading row as both sides are compared: the platform's columns, hourly rows as `[hour, steps, aerobic, kcal, distance]`. */
export type ComparableRow = Record<string, unknown>;

/** A measurement request the sandbox answered. */
export interface ObservedRequest {
  at: number;
  sub: string;
  query: MeasurementQuery;
}

/** The token stack with the platform listening (OMRON's notifications reach it) and helpers for sync tests. */
export interface SyncStack extends TokenStack {
  platformUrl: string;
  /** A sandbox user who authorised the platform, as a participant with a consented enrollment. */
  enroll(email: string, options?: { scopes?: string; preferences?: Record<string, string> }): Promise<EnrolledParticipant>;
  /** Generates readings through the sandbox's admin API (notifications fire as for a device upload). */
  generate(sandboxUserId: string, body: Record<string, unknown>): Promise<void>;
  sandboxAdmin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Makes the sandbox answer every measurement request with a 503 (an outage), until `clearFaults()`. */
  failEveryMeasurementRequest(): Promise<void>;
  /** Ends every fault injected into the sandbox. */
  clearFaults(): Promise<void>;
  /** The sandbox's readings of a kind as the platform should store them (metric preferences: kg, °C, km). */
  groundTruth(sandboxUserId: string, kind: MeasurementKind): Promise<ComparableRow[]>;
  /** The platform's stored readings of a kind, same shape, ordered like groundTruth. */
  stored(participantId: string, kind: MeasurementKind): Promise<ComparableRow[]>;
  /** Waits until no pull is waiting or running and no notification is undispatched. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /**
   * Records the measurement requests the sandbox answers from now on; `rewrite` may alter an answer (an
   * upstream that sends something odd). `stop()` puts the sandbox back as it was.
   */
  observeMeasurements(rewrite?: (access: AuthenticatedAccess, response: MeasurementSuccessResponse) => MeasurementSuccessResponse): {
    requests: ObservedRequest[];
    stop(): void;
  };
  /**
   * Answers every measurement request of one OMRON user (`sub`) with `answer` as it is, whatever OMRON's
   * envelope (e.g. a 404 with an HTML body), until `stop()`; other users' requests are answered as usual.
   */
  answerMeasurementsOf(sub: string, answer: RawAnswer): { answered: () => number; stop(): void };
  sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  sandboxSql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

/** A raw HTTP answer of the sandbox's measurement API. */
export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

const METRIC = { weightUnit: 'kg', temperatureUnit: 'C', distanceUnit: 'km' };

const apiDateTime = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 19);
const fixed = (value: number, digits: number): number => Number(value.toFixed(digits));
const measuredOrNull = (value: number | null): number | null => (value === null ? null : fixed(value, 1));

interface SandboxRow {
  id: string;
  measured_at: Date;
  utc_offset_seconds: number;
  device_type: string;
  values: Record<string, unknown>;
}

/**
 * The platform row a sandbox reading should become, computed from the sandbox's canonical values with the
 * precision the API sends them in (measurement-format.ts): the ground truth of the comparison.
 */
function expectedRow(kind: MeasurementKind, reading: SandboxRow): ComparableRow {
  const ms = new Date(reading.measured_at).getTime();
  const base = {
    upstream_id: String(reading.id),
    measured_at: new Date(ms).toISOString(),
    local_time: apiDateTime(ms + reading.utc_offset_seconds * 1000),
    utc_offset_seconds: reading.utc_offset_seconds,
    device_type: reading.device_type,
  };
  const v = reading.values as Record<string, never>;
  switch (kind) {
    case 'blood_pressure': {
      const afib = v.possibleAfib as boolean;
      return {
        ...base,
        systolic_mmhg: afib ? null : v.systolic,
        diastolic_mmhg: afib ? null : v.diastolic,
        pulse_bpm: afib ? null : v.pulse,
        possible_afib: afib,
      };
    }
    case 'activity': {
      const km = fixed(Number(v.distanceMeters) / 1000, 2);
      const hours = (v.hourly as unknown as Record<string, number>[] | null) ?? [];
      return {
        ...base,
        steps: v.steps,
        aerobic_steps: v.aerobicSteps,
        calories_kcal: v.calories,
        distance_km: km,
        distance_original: km,
        distance_unit: 'km',
        hourly: hours.map((h) => [h.hour, h.steps, h.aerobicSteps, h.calories, fixed(h.distanceMeters / 1000, 3)]),
      };
    }
    case 'weight':
      return {
        ...base,
        upstream_id_ext: String(reading.id),
        weight_kg: fixed(v.weightKg, 1),
        weight_original: fixed(v.weightKg, 1),
        weight_unit: 'kg',
        bmi: fixed(v.bmi, 2),
        body_fat_percent: measuredOrNull(v.bodyFatPercentage),
        skeletal_muscle_percent: measuredOrNull(v.skeletalMusclePercentage),
        visceral_fat_level: measuredOrNull(v.visceralFatLevel),
        resting_metabolism_kcal: measuredOrNull(v.restingMetabolism),
      };
    case 'temperature':
      return { ...base, temperature_c: fixed(v.celsius, 1), temperature_original: fixed(v.celsius, 1), temperature_unit: '°C' };
    case 'oxygen':
      return { ...base, spo2_percent: Math.round(v.spo2), pulse_bpm: Math.round(v.pulse) };
    case 'ecg':
      return {
        ...base,
        classification: v.classification,
        heart_rate_bpm: v.heartRate,
        sampling_rate_hz: v.samplingRate,
        duration_seconds: v.durationSeconds,
        waveform_uv: v.waveform,
      };
  }
}

/** The columns compared per kind (everything but the platform's own ids, change sequence and timestamps). */
const COMPARED: Record<MeasurementKind, string[]> = {
  blood_pressure: ['systolic_mmhg', 'diastolic_mmhg', 'pulse_bpm', 'possible_afib'],
  activity: ['steps', 'aerobic_steps', 'calories_kcal', 'distance_km', 'distance_original', 'distance_unit'],
  weight: [
    'upstream_id_ext',
    'weight_kg',
    'weight_original',
    'weight_unit',
    'bmi',
    'body_fat_percent',
    'skeletal_muscle_percent',
    'visceral_fat_level',
    'resting_metabolism_kcal',
  ],
  temperature: ['temperature_c', 'temperature_original', 'temperature_unit'],
  oxygen: ['spo2_percent', 'pulse_bpm'],
  ecg: ['classification', 'heart_rate_bpm', 'sampling_rate_hz', 'duration_seconds', 'waveform_uv'],
};

export async function startSyncStack(
  sandboxEnv: Record<string, string> = {},
  platformOverrides: Record<string, string> = {},
): Promise<SyncStack> {
  const stack = await startTokenStack(
    { SANDBOX_RATE_LIMIT_PER_MINUTE: '1000000', SANDBOX_NOTIFICATION_RETRY_SECONDS: '1,2,5', ...sandboxEnv },
    { ...FAST_SYNC_ENV, ...platformOverrides },
  );
  await stack.platform.listen(0, '127.0.0.1');
  const { port } = stack.platform.getHttpServer().address() as AddressInfo;
  const platformUrl = `http://127.0.0.1:${port}`;
  await upsertRegisteredApp(stack.sandbox.em(), {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    displayName: 'OpenDSP sync tests',
    redirectUris: [REDIRECT_URI],
    notificationUri: `${platformUrl}/omron/notifications`,
  });
  const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
    adminQuery<R>(stack.database.settings.url, text, params);
  const sandboxSql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
    adminQuery<R>(stack.sandboxDatabase.settings.url, text, params);
  const sandboxAdmin = (method: string, path: string, body?: unknown) =>
    fetch(`${stack.sandbox.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  let group: ProgramGroup | undefined;
  return {
    ...stack,
    platformUrl,
    sql,
    sandboxSql,
    sandboxAdmin,
    async failEveryMeasurementRequest() {
      const response = await sandboxAdmin('PUT', '/admin/faults', {
        endpoint: '/stg/api/measurement',
        seed: 1,
        errorRate: 1,
        errorStatuses: [503],
      });
      if (response.status !== 200) throw new Error(`the sandbox refused the fault: HTTP ${response.status}`);
    },
    async clearFaults() {
      await sandboxAdmin('DELETE', '/admin/faults');
    },
    observeMeasurements(rewrite) {
      const service = stack.sandbox.app.get(MeasurementApiService);
      const original = service.measurements;
      const requests: ObservedRequest[] = [];
      service.measurements = async (access, query) => {
        requests.push({ at: Date.now(), sub: access.sub, query });
        const response = await original.call(service, access, query);
        return rewrite ? rewrite(access, response) : response;
      };
      return { requests, stop: () => void (service.measurements = original) };
    },
    answerMeasurementsOf(sub, answer) {
      // The guard knows whose request it is and runs before the endpoint: it sends the answer itself and stops
      // the request there (the API's error filter leaves an answer already sent alone).
      const guard = MeasurementAccessGuard.prototype;
      const canActivate = guard.canActivate;
      let answered = 0;
      guard.canActivate = async function (this: MeasurementAccessGuard, context) {
        const allowed = await canActivate.call(this, context);
        const http = context.switchToHttp();
        if (!allowed || http.getRequest<MeasurementRequest>().omronAccess?.sub !== sub) return allowed;
        answered++;
        http.getResponse<import('express').Response>().status(answer.status).type(answer.contentType).send(answer.body);
        return false;
      };
      return { answered: () => answered, stop: () => void (guard.canActivate = canActivate) };
    },
    async enroll(email, options = {}) {
      const sandboxUser = await stack.sandbox.user(email);
      const preferences = await sandboxAdmin('PATCH', `/admin/users/${sandboxUser.id}/preferences`, { ...METRIC, ...options.preferences });
      if (preferences.status !== 200) throw new Error(`preferences refused: ${await preferences.text()}`);
      const connection = await stack.connectUser(email, options.scopes ?? ALL_SCOPES);
      const em = stack.platform.get(MikroORM).em.fork();
      group ??= (await em.findOne(ProgramGroup, { displayName: 'Sync test group' })) ?? undefined;
      if (!group) {
        group = new ProgramGroup('Sync test group');
        em.persist(group);
      }
      const participant = new Participant('omron_connect');
      participant.omronUserId = connection.omronUserId;
      const enrollment = new Enrollment(participant, em.getReference(ProgramGroup, group.id), 'consented');
      enrollment.consentedAt = new Date();
      enrollment.consentedScopes = options.scopes ?? ALL_SCOPES;
      em.persist([participant, enrollment]);
      await em.flush();
      return { participantId: participant.id, sandboxUserId: sandboxUser.id, omronUserId: connection.omronUserId, connection };
    },
    async generate(sandboxUserId, body) {
      const response = await sandboxAdmin('POST', `/admin/users/${sandboxUserId}/readings/generate`, body);
      if (response.status !== 201 && response.status !== 200)
        throw new Error(`generate refused: ${response.status} ${await response.text()}`);
    },
    async groundTruth(sandboxUserId, kind) {
      const rows = await sandboxSql<SandboxRow & Record<string, unknown>>(
        `select id::text, measured_at, utc_offset_seconds, device_type, "values" from omron_sandbox.measurement
         where user_id = $1 and type = $2 order by measured_at`,
        [sandboxUserId, MEASUREMENT_KINDS[kind].upstreamType],
      );
      return rows.map((row) => expectedRow(kind, row));
    },
    async stored(participantId, kind) {
      const table = MEASUREMENT_KINDS[kind].table;
      const hourly =
        kind === 'activity'
          ? `, (select coalesce(json_agg(json_build_array(h.hour, h.steps, h.aerobic_steps, h.calories_kcal, h.distance_original) order by h.hour), '[]')
               from activity_hourly_reading h where h.activity_id = r.id) as hourly`
          : '';
      const rows = await sql(
        `select r.upstream_id::text, r.measured_at, r.local_time, r.utc_offset_seconds, r.device_type,
           ${COMPARED[kind].map((column) => (column === 'upstream_id_ext' ? `r.${column}::text` : `r.${column}`)).join(', ')}${hourly}
         from ${table} r where r.participant_id = $1 order by r.measured_at`,
        [participantId],
      );
      return rows.map((row) => ({ ...row, measured_at: new Date(row.measured_at as string).toISOString() }));
    },
    async waitForIdle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // The sandbox first: a notification it has delivered is already in the platform's inbox (the
        // receiver commits before it answers), and the inbox, the ledger and the job queue hand work on
        // to each other inside transactions, so one snapshot of all three after it leaves nothing unseen.
        const [outbox] = await sandboxSql<{ undelivered: number }>(
          `select count(*)::int as undelivered from "omron_sandbox"."notification" where "delivered_at" is null and "gave_up_at" is null`,
        );
        const [state] = await sql<{ busy: number }>(
          `select (select count(*) from ${JOB_SCHEMA}.job where name in ($1, $2) and state in ('created', 'retry', 'active'))
                + (select count(*) from sync_notification where dispatched_at is null)
                + (select count(*) from sync_ledger where pending_since is not null or pull_token is not null) as busy`,
          [PULL_QUEUE, DEAD_LETTER_QUEUE],
        );
        if (outbox.undelivered === 0 && Number(state.busy) === 0) return;
        if (Date.now() > deadline) {
          const ledger = await sql(
            `select kind, pending_since, pull_token, pull_cursor, pull_pages, last_error, consecutive_failures from sync_ledger where pending_since is not null or pull_token is not null`,
          );
          const jobs = await sql(
            `select name, state, retry_count, start_after, output->>'message' as error from ${JOB_SCHEMA}.job where name in ($1, $2) and state <> 'completed'`,
            [PULL_QUEUE, DEAD_LETTER_QUEUE],
          );
          const inbox = await sql(`select type, claimed_until from sync_notification where dispatched_at is null`);
          throw new Error(
            `sync still busy after ${timeoutMs} ms (${state.busy} items, ${outbox.undelivered} undelivered notifications)\n${JSON.stringify({ ledger, jobs, inbox })}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

/** Polls `probe` every 200 ms until it returns something truthy, and returns that; fails naming `what` after the limit. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
