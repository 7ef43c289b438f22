import { jsonShape, SPEC_EXAMPLES, specExample, type SpecExampleName } from '@opendsp/omron-api';
import type { NewReading } from '../apps/omron-sandbox/src/measurements/index.js';
import { startSandboxHarness, type Json, type SandboxHarness } from './support/sandbox-harness.js';

/** A reading equivalent to each example of the spec. */
const EQUIVALENT: Record<SpecExampleName, (at: Date) => NewReading> = {
  'blood-pressure': (measuredAt) => ({
    type: 'bloodpressure',
    measuredAt,
    deviceType: 'M700 Intelli IT',
    values: { systolic: 92, diastolic: 71, pulse: 78, possibleAfib: false },
  }),
  'blood-pressure-afib': (measuredAt) => ({
    type: 'bloodpressure',
    measuredAt,
    deviceType: '7 Series Upper Arm',
    values: { systolic: 140, diastolic: 90, pulse: 110, possibleAfib: true },
  }),
  'activity-hourly': (measuredAt) => ({
    type: 'activity',
    measuredAt,
    deviceType: 'HCR-6900T',
    values: {
      steps: 0,
      aerobicSteps: 0,
      calories: 0,
      distanceMeters: 0,
      hourly: [0, 1].map((hour) => ({ hour, steps: 0, aerobicSteps: 0, calories: 0, distanceMeters: 0 })),
    },
  }),
  weight: (measuredAt) => ({
    type: 'weight',
    measuredAt,
    deviceType: 'HN-300T2 Intelli IT',
    values: {
      weightKg: 71.6,
      bmi: 25.52,
      bodyFatPercentage: null,
      restingMetabolism: null,
      visceralFatLevel: null,
      skeletalMusclePercentage: null,
    },
  }),
  temperature: (measuredAt) => ({ type: 'temperature', measuredAt, deviceType: 'model_mc_280b_e', values: { celsius: 33.8 } }),
  oxygen: (measuredAt) => ({ type: 'oxygen', measuredAt, deviceType: 'blesmart_00060002b87c6f2aeac4', values: { spo2: 99, pulse: 73 } }),
};

describe('the sandbox against the example responses of the Partner API spec', () => {
  let sandbox: SandboxHarness;
  beforeAll(async () => {
    sandbox = await startSandboxHarness({ SANDBOX_RATE_LIMIT_PER_MINUTE: '100000' });
  });
  afterAll(() => sandbox?.close());

  it.each(Object.keys(SPEC_EXAMPLES) as SpecExampleName[])('%s: same keys and value types at every level', async (name) => {
    const type = SPEC_EXAMPLES[name];
    const example = specExample(name);
    const user = await sandbox.user(`${name}@sandbox.test`);
    // Where the example's pagination key is a number, more data followed; give the sandbox a second reading so it says so too.
    const moreFollows = typeof Object.values(example.result.paginationKey)[0] === 'number';
    const times = moreFollows ? ['2022-02-03T00:00:00Z', '2022-02-02T00:00:00Z'] : ['2022-02-03T00:00:00Z'];
    await sandbox.ingest(
      user.id,
      times.map((at) => EQUIVALENT[name](new Date(at))),
    );
    const token = await sandbox.token(user.id, [type]);
    const response = await fetch(`${sandbox.baseUrl}/stg/api/measurement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ type, limit: '1', includeHourlyActivity: String(name === 'activity-hourly') }),
    });
    const actual = (await response.json()) as Json;
    expect(jsonShape(actual)).toEqual(jsonShape(example));
    // Key order too, as clients that print or diff responses see it.
    const [entry] = Object.values(actual.result)[0] as object[];
    const [exampleEntry] = Object.values(example.result)[0] as object[];
    expect(Object.keys(entry)).toEqual(Object.keys(exampleEntry));
  });
});
