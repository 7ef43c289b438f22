import { MikroORM } from '@mikro-orm/postgresql';
import { dspOrmConfig } from '@opendsp/database';
import { ReadingsRepository } from '@opendsp/measurements';
import { addDays, zonedDay, zonedDayStart } from '@opendsp/time-zone';
import { ReadingQueries, type ReadingWindow } from '../libs/data-views/src/participants/reading-queries.service.js';
import { scaleOgscId, seedScale } from './support/data-views-scale-seed.js';
import { adminQuery, createTestDatabase, type TestDatabase } from './support/test-database.js';

const TIME_ZONE = 'Asia/Tokyo';

/** A window of `days` whole days of the zone, ending today (or `end`). */
function windowOf(days: number, end = zonedDay(new Date(), TIME_ZONE)): ReadingWindow {
  const firstDay = addDays(end, -(days - 1));
  return { days, firstDay, lastDay: end, from: zonedDayStart(firstDay, TIME_ZONE), to: zonedDayStart(addDays(end, 1), TIME_ZONE) };
}

// The participant page reads every kind's period and latest time in one statement (ReadingQueries.page, through
// ReadingsRepository.portalPeriods); it must give exactly what the per-kind statements give.
describe('the participant page’s readings in one statement', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  let queries: ReadingQueries;
  let detailed: string;
  let plain: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Participant 1 has hourly activity and ECG recordings; blood pressure 1,500 times a year, so a year's window is
    // cut at the page's 1,000 newest.
    await seedScale(database.settings, {
      participants: 4,
      groups: 1,
      readingsPerParticipant: { blood_pressure: 1500, weight: 40, activity: 30, temperature: 20, oxygen: 20 },
      detailEvery: 3,
    });
    orm = await MikroORM.init(dspOrmConfig(database.settings));
    queries = new ReadingQueries(orm.em, new ReadingsRepository());
    const id = async (n: number) =>
      (await adminQuery<{ id: string }>(database.settings.url, `select id from participant where ogsc_id = $1`, [scaleOgscId(n)]))[0].id;
    detailed = await id(1);
    plain = await id(2);
  }, 120_000);
  afterAll(async () => {
    await orm?.close(true);
    await database?.drop();
  });

  async function perKind(participantId: string, window: ReadingWindow) {
    return {
      latest: await queries.latest(participantId),
      bloodPressure: await queries.bloodPressure(participantId, window),
      weight: await queries.weight(participantId, window),
      activity: await queries.activity(participantId, window),
      temperature: await queries.temperature(participantId, window),
      oxygen: await queries.oxygen(participantId, window),
      ecg: await queries.ecg(participantId, window),
      devices: (
        await adminQuery<{ device_type: string; first_seen_at: Date; last_seen_at: Date }>(
          database.settings.url,
          `select device_type, first_seen_at, last_seen_at from participant_device where participant_id = $1 order by last_seen_at desc`,
          [participantId],
        )
      ).map((row) => ({ deviceType: row.device_type, firstSeenAt: row.first_seen_at, lastSeenAt: row.last_seen_at })),
    };
  }

  it('equals the per-kind statements for 7, 30 and 365 days, cut at 1,000 the same way', async () => {
    for (const participantId of [detailed, plain])
      for (const days of [7, 30, 365]) {
        const window = windowOf(days);
        expect(await queries.page(participantId, window)).toEqual(await perKind(participantId, window));
      }
    const year = await queries.page(detailed, windowOf(365));
    expect(year.bloodPressure.truncated).toBe(true);
    expect(year.bloodPressure.rows).toHaveLength(1000);
    expect(year.ecg.rows.length).toBeGreaterThan(0);
    expect(year.activity.rows.length).toBeGreaterThan(0);
    expect(year.devices.length).toBeGreaterThan(0);
    // Oldest first, as the charts want them.
    const times = year.bloodPressure.rows.map((row) => row.measuredAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('gives empty periods and the latest times when the window holds nothing', async () => {
    const empty = windowOf(7, '2001-01-07');
    const found = await queries.page(detailed, empty);
    expect(found).toEqual(await perKind(detailed, empty));
    expect(found.bloodPressure).toEqual({ rows: [], truncated: false });
    expect(found.latest.blood_pressure).toBeInstanceOf(Date);
  });

  it('reads the chosen activity day’s hours and ECG recording’s waveform in one statement, only the participant’s', async () => {
    const year = await queries.page(detailed, windowOf(365));
    const day = year.activity.rows.at(-1)!;
    const recording = year.ecg.rows.at(-1)!;
    const hours = await adminQuery<{
      hour: number;
      steps: number;
      aerobic_steps: number;
      calories_kcal: number;
      distance_original: number;
    }>(
      database.settings.url,
      `select hour, steps, aerobic_steps, calories_kcal, distance_original from activity_hourly_reading where activity_id = $1 order by hour`,
      [day.id],
    );
    const [{ waveform_uv: waveform }] = await adminQuery<{ waveform_uv: number[] }>(
      database.settings.url,
      `select waveform_uv from ecg_reading where id = $1`,
      [recording.id],
    );
    expect(hours.length).toBeGreaterThan(0);
    expect(await queries.detail(detailed, day.id, recording.id)).toEqual({
      hours: hours.map((row) => ({
        hour: row.hour,
        steps: row.steps,
        aerobicSteps: row.aerobic_steps,
        caloriesKcal: row.calories_kcal,
        distanceOriginal: row.distance_original,
      })),
      waveform,
    });
    // Each alone, neither, another participant's rows, and an ID that is no recording's.
    expect((await queries.detail(detailed, day.id, null)).waveform).toBeNull();
    expect((await queries.detail(detailed, null, recording.id)).hours).toEqual([]);
    expect(await queries.detail(detailed, null, null)).toEqual({ hours: [], waveform: null });
    expect(await queries.detail(plain, day.id, recording.id)).toEqual({ hours: [], waveform: null });
    expect(await queries.detail(detailed, null, 'not-an-id')).toEqual({ hours: [], waveform: null });
  });
});
