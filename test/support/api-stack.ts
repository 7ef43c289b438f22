import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import request from 'supertest';
import { ApiClient, ApiClientGroup, formatScopes, hashCredential, newClientSecret, type ApiScope } from '@opendsp/api';
import { loadDspConfig } from '@opendsp/config';
import { dspOrmConfig } from '@opendsp/database';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { lockChangeSequence, NEXT_CHANGE_SEQ, type MeasurementKind } from '@opendsp/measurements';
import { Enrollment, Participant, type EnrollmentStatus } from '@opendsp/participants';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './test-database.js';
import { testDspEnv } from './test-environment.js';
import { plainWeightValues } from './readings.js';

/** The platform (web role) on a database of its own, plus a MikroORM of the test's to arrange data the way the writers do. */
export interface ApiStack {
  database: TestDatabase;
  app: NestExpressApplication;
  server: Server;
  orm: MikroORM;
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  group(displayName: string, redirectUrls?: string[]): Promise<ProgramGroup>;
  participant(groups: ProgramGroup[], status?: EnrollmentStatus, extra?: Partial<Participant>): Promise<Participant>;
  /** An API client created the way the portal does (only the secret's hash stored); returns its credentials. */
  client(
    scopes: ApiScope[],
    groups: ProgramGroup[] | 'all',
    name?: string,
  ): Promise<{ client: ApiClient; clientId: string; secret: string }>;
  /** A bearer token through the token endpoint. */
  token(clientId: string, secret: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApiStack(env: Record<string, string> = {}): Promise<ApiStack> {
  const database = await createTestDatabase();
  const app = await createDspApp(loadDspConfig(testDspEnv({ DATABASE_URL: database.settings.url, PROCESS_ROLE: 'web', ...env })), {
    shutdownHooks: false,
  });
  await app.init();
  const server = app.getHttpServer() as Server;
  const orm = await MikroORM.init(dspOrmConfig({ ...database.settings, poolMax: 12 }));
  return {
    database,
    app,
    server,
    orm,
    sql: <R>(text: string, params: unknown[] = []) => adminQuery(database.settings.url, text, params) as Promise<R[]>,
    async group(displayName, redirectUrls = []) {
      const em = orm.em.fork();
      const group = new ProgramGroup(displayName);
      em.persist(group);
      redirectUrls.forEach((url, index) => em.persist(new GroupRedirectUrl(group, url, index === 0)));
      await em.flush();
      return group;
    },
    async participant(groups, status = 'consented', extra = {}) {
      const em = orm.em.fork();
      const participant = Object.assign(new Participant('omron_connect'), extra);
      em.persist(participant);
      for (const group of groups) {
        const enrollment = new Enrollment(participant, em.getReference(ProgramGroup, group.id), status);
        if (status === 'consented') {
          enrollment.consentedAt = new Date();
          enrollment.consentedScopes = 'bloodpressure weight';
        }
        em.persist(enrollment);
      }
      await em.flush();
      return participant;
    },
    async client(scopes, groups, name = 'Test client') {
      const em = orm.em.fork();
      const secret = newClientSecret();
      const client = new ApiClient({ name, scopes: formatScopes(scopes), allGroups: groups === 'all', secretHash: hashCredential(secret) });
      em.persist(client);
      if (groups !== 'all') for (const group of groups) em.persist(new ApiClientGroup(client, em.getReference(ProgramGroup, group.id)));
      await em.flush();
      return { client, clientId: client.clientId, secret };
    },
    async token(clientId, secret, scope) {
      const res = await request(server)
        .post('/api/v1/oauth/token')
        .auth(clientId, secret)
        .type('form')
        .send({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
      if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${res.text}`);
      return res.body.access_token as string;
    },
    async close() {
      await app.close();
      await orm.close(true);
      await database.drop();
    },
  };
}

/** A reading to write; values not given get plausible defaults of the kind. */
export interface ReadingInput {
  kind: MeasurementKind;
  participantId: string;
  upstreamId: number | string;
  measuredAt: Date;
  /** Seconds east of UTC (default +09:00). */
  utcOffsetSeconds?: number;
  deviceType?: string;
  /** Columns by their database names that replace the kind's defaults (e.g. `{ possible_afib: true, systolic_mmhg: null }`). */
  values?: Record<string, unknown>;
}

function localTime(instant: Date, offsetSeconds: number): string {
  return new Date(instant.getTime() + offsetSeconds * 1000).toISOString().slice(0, 19);
}

/** Column list and values of one reading of its kind, for an upsert keyed by (participant, upstream ID). */
function readingColumns(reading: ReadingInput): Record<string, unknown> {
  return { ...defaultColumns(reading), ...reading.values };
}

function defaultColumns(reading: ReadingInput): Record<string, unknown> {
  const offset = reading.utcOffsetSeconds ?? 32_400;
  const upstream = Number(reading.upstreamId);
  const common = {
    participant_id: reading.participantId,
    upstream_id: String(reading.upstreamId),
    measured_at: reading.measuredAt.toISOString(),
    local_time: localTime(reading.measuredAt, offset),
    utc_offset_seconds: offset,
    device_type: reading.deviceType ?? 'OMRON TEST-1',
  };
  switch (reading.kind) {
    case 'blood_pressure':
      return {
        ...common,
        systolic_mmhg: 110 + (upstream % 40),
        diastolic_mmhg: 70 + (upstream % 20),
        pulse_bpm: 60 + (upstream % 30),
        possible_afib: upstream % 7 === 0,
      };
    case 'activity':
      return {
        ...common,
        steps: 1000 + upstream,
        aerobic_steps: upstream % 500,
        calories_kcal: 100 + (upstream % 300),
        distance_km: 1.5,
        distance_original: 1.5,
        distance_unit: 'km',
      };
    case 'weight':
      return {
        ...common,
        ...plainWeightValues(60 + (upstream % 30) / 10),
      };
    case 'temperature':
      return { ...common, temperature_c: 36.5, temperature_original: 97.7, temperature_unit: '°F' };
    case 'oxygen':
      return { ...common, spo2_percent: 97, pulse_bpm: 64 };
    case 'ecg':
      return {
        ...common,
        classification: 'normal_sinus_rhythm',
        heart_rate_bpm: 66,
        sampling_rate_hz: 250,
        duration_seconds: 30,
        waveform_uv: JSON.stringify([0, 12, -4]),
      };
  }
}

const TABLES: Record<MeasurementKind, string> = {
  blood_pressure: 'blood_pressure_reading',
  activity: 'activity_reading',
  weight: 'weight_reading',
  temperature: 'temperature_reading',
  oxygen: 'oxygen_reading',
  ecg: 'ecg_reading',
};

/**
 * Writes readings the way every writer must: in one transaction, `lockChangeSequence` first, then an
 * upsert drawing `NEXT_CHANGE_SEQ` for each insert or change. `holdMs` keeps the transaction open after
 * the writes (a slow sync), `rollback` abandons it.
 */
export async function writeReadings(
  em: EntityManager,
  readings: ReadingInput[],
  options: { holdMs?: number; rollback?: boolean } = {},
): Promise<{ changeSeqs: string[] }> {
  const run = async (tx: EntityManager) => {
    await lockChangeSequence(tx);
    const changeSeqs: string[] = [];
    for (const reading of readings) {
      const columns = readingColumns(reading);
      const names = Object.keys(columns);
      const updates = names.filter((name) => name !== 'participant_id' && name !== 'upstream_id');
      const [row] = await tx.getConnection().execute<{ change_seq: string }[]>(
        `insert into ${TABLES[reading.kind]} (${names.join(', ')}, change_seq) values (${names.map(() => '?').join(', ')}, ${NEXT_CHANGE_SEQ})
         on conflict (participant_id, upstream_id) do update set ${updates.map((name) => `${name} = excluded.${name}`).join(', ')},
           change_seq = ${NEXT_CHANGE_SEQ}, updated_at = now()
         returning change_seq`,
        Object.values(columns),
        'all',
        tx.getTransactionContext(),
      );
      changeSeqs.push(row.change_seq);
      if (reading.kind === 'activity') {
        await tx.getConnection().execute(
          `insert into activity_hourly_reading (activity_id, hour, steps, aerobic_steps, calories_kcal, distance_original)
           select id, h, 100 + h, h, 10, 0.1 from activity_reading, generate_series(0, 2) h where participant_id = ? and upstream_id = ?
           on conflict (activity_id, hour) do nothing`,
          [reading.participantId, String(reading.upstreamId)],
          'all',
          tx.getTransactionContext(),
        );
      }
    }
    if (options.holdMs) await tx.getConnection().execute(`select pg_sleep(?)`, [options.holdMs / 1000], 'all', tx.getTransactionContext());
    if (options.rollback) throw new RolledBack();
    return { changeSeqs };
  };
  try {
    return await em.fork().transactional(run);
  } catch (error) {
    if (error instanceof RolledBack) return { changeSeqs: [] };
    throw error;
  }
}

class RolledBack extends Error {}

/** The problem details of a response, asserting the content type. */
export function problemOf(res: { headers: Record<string, string>; body: unknown; text: string }): Record<string, unknown> {
  if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? ''))
    throw new Error(`not problem details: ${res.headers['content-type']} ${res.text}`);
  return JSON.parse(res.text) as Record<string, unknown>;
}
