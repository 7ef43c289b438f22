import { readFileSync, writeFileSync } from 'node:fs';
import JSONSchemaValidator from '@asymmetrik/fhir-json-schema-validator';
import request from 'supertest';
import type { ProgramGroup } from '@opendsp/groups';
import { MEASUREMENT_KINDS } from '@opendsp/measurements';
import type { Participant } from '@opendsp/participants';
import { startApiStack, writeReadings, type ApiStack, type ReadingInput } from './support/api-stack.js';

const EXAMPLE = new URL('../docs/examples/fhir-observations.json', import.meta.url);
const EXAMPLE_OGSC_ID = 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6';
const LOINC = 'http://loinc.org';

interface Resource {
  resourceType: string;
  [element: string]: unknown;
}

interface Observation extends Resource {
  id: string;
  code: { coding: { system: string; code: string }[] };
  category: { coding: { code: string }[] }[];
  effectiveDateTime: string;
  valueQuantity?: { value: number; unit: string; system: string; code: string };
  component?: { code: { coding: { code: string }[] }; valueQuantity?: { value: number; code: string }; dataAbsentReason?: unknown }[];
  extension?: { url: string; valueBoolean: boolean }[];
  subject: unknown;
  device: unknown;
  meta: { profile?: string[] };
}

interface Bundle extends Resource {
  type: string;
  link: { relation: string; url: string }[];
  entry?: { fullUrl: string; resource: Observation; search: { mode: string } }[];
}

describe('FHIR R4 Observation search', () => {
  let stack: ApiStack;
  let group: ProgramGroup;
  let token: string;
  let example: Participant;
  // The official FHIR R4 JSON schema, compiled once: every answer of the endpoint is checked against it.
  const schema = new JSONSchemaValidator();

  beforeAll(async () => {
    stack = await startApiStack();
    group = await stack.group('FHIR program');
    const client = await stack.client(['participants:read', 'measurements:read'], [group]);
    token = await stack.token(client.clientId, client.secret);
    example = await stack.participant([group], 'consented', { ogscId: EXAMPLE_OGSC_ID });
  });
  afterAll(() => stack?.close());

  /** A FHIR answer: its media type, and a body that is valid FHIR R4. */
  function fhirBody<T extends Resource>(res: { status: number; headers: Record<string, string>; text: string }): T {
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const body = JSON.parse(res.text) as T;
    expect(schema.validate(body)).toEqual([]);
    return body;
  }

  const get = (path: string, bearer: string | null = token) => {
    const req = request(stack.server).get(path);
    return bearer ? req.auth(bearer, { type: 'bearer' }) : req;
  };

  async function search(ogscId: string, query = ''): Promise<Bundle> {
    const res = await get(`/api/v1/participants/${ogscId}/fhir/Observation${query}`);
    expect(res.status).toBe(200);
    const bundle = fhirBody<Bundle>(res);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    return bundle;
  }

  async function outcome(path: string, status: number, bearer: string | null = token): Promise<{ code: string; diagnostics: string }> {
    const res = await get(path, bearer);
    expect(res.status).toBe(status);
    const body = fhirBody<Resource & { issue: { code: string; details: { coding: { code: string }[] }; diagnostics: string }[] }>(res);
    expect(body.resourceType).toBe('OperationOutcome');
    return { code: body.issue[0].details.coding[0].code, diagnostics: body.issue.map((issue) => issue.diagnostics).join('\n') };
  }

  const ids = (bundle: Bundle): string[] => (bundle.entry ?? []).map((entry) => entry.resource.id);
  const codes = (bundle: Bundle): string[] => (bundle.entry ?? []).map((entry) => entry.resource.code.coding[0].code);

  /** One reading of each kind, as OMRON's devices send them, at three UTC offsets. */
  function exampleReadings(participantId: string): ReadingInput[] {
    const at = (iso: string) => new Date(iso);
    return [
      {
        kind: 'blood_pressure',
        participantId,
        upstreamId: 1763888405000,
        measuredAt: at('2026-11-23T10:00:05Z'),
        deviceType: 'M700 Intelli IT',
        values: { systolic_mmhg: 128, diastolic_mmhg: 82, pulse_bpm: 71, possible_afib: false },
      },
      {
        // OMRON sends 0 for the pressures and the pulse when it flags possible AFib; the sync stores null.
        kind: 'blood_pressure',
        participantId,
        upstreamId: 1763935393000,
        measuredAt: at('2026-11-23T22:03:13Z'),
        utcOffsetSeconds: -5 * 3600,
        deviceType: '7 Series Upper Arm',
        values: { systolic_mmhg: null, diastolic_mmhg: null, pulse_bpm: null, possible_afib: true },
      },
      {
        kind: 'weight',
        participantId,
        upstreamId: 1763851200000,
        measuredAt: at('2026-11-22T22:40:00Z'),
        deviceType: 'HBF-702T',
        values: { weight_kg: 72.4, weight_original: 72.4, weight_unit: 'kg', bmi: 23.1, body_fat_percent: 24.5 },
      },
      {
        kind: 'temperature',
        participantId,
        upstreamId: 1763870000000,
        measuredAt: at('2026-11-23T03:53:20Z'),
        utcOffsetSeconds: 19_800,
        deviceType: 'MC-280B',
        values: { temperature_c: 36.7, temperature_original: 98.06, temperature_unit: '°F' },
      },
      {
        kind: 'oxygen',
        participantId,
        upstreamId: 1763890000000,
        measuredAt: at('2026-11-23T10:26:40Z'),
        deviceType: 'OMRON P300',
        values: { spo2_percent: 97, pulse_bpm: 64 },
      },
      {
        kind: 'activity',
        participantId,
        upstreamId: 1763823600000,
        measuredAt: at('2026-11-22T15:00:00Z'),
        deviceType: 'HJ-325',
        values: { steps: 8432, aerobic_steps: 2100, calories_kcal: 312 },
      },
      { kind: 'ecg', participantId, upstreamId: 1763890100000, measuredAt: at('2026-11-23T10:28:20Z'), deviceType: 'KardiaMobile' },
    ];
  }

  it('maps every kind of reading to Vital Signs Observations: LOINC codes, UCUM units, offsets, subject, device, the AFib flag', async () => {
    await writeReadings(stack.orm.em, exampleReadings(example.id));
    // Stored and changed "five minutes after measurement", so meta.lastUpdated (and the example file) stays the same run after run.
    for (const { table } of Object.values(MEASUREMENT_KINDS)) {
      await stack.sql(
        `update ${table} set created_at = measured_at + interval '5 minutes', updated_at = measured_at + interval '5 minutes' where participant_id = $1`,
        [example.id],
      );
    }
    const bundle = await search(EXAMPLE_OGSC_ID);
    const byId = new Map((bundle.entry ?? []).map((entry) => [entry.resource.id, entry.resource]));
    const id = (token: string, upstreamId: number) => `${EXAMPLE_OGSC_ID}-${token}-${upstreamId}`;

    // In time order; ECG has no Observation; the AFib reading has no pulse, so no heart rate.
    expect(ids(bundle)).toEqual([
      id('steps', 1763823600000),
      id('weight', 1763851200000),
      id('bmi', 1763851200000),
      id('fat', 1763851200000),
      id('temp', 1763870000000),
      id('bp', 1763888405000),
      id('bp-hr', 1763888405000),
      id('spo2', 1763890000000),
      id('spo2-hr', 1763890000000),
      id('bp', 1763935393000),
    ]);
    expect(bundle.link).toEqual([
      { relation: 'self', url: `http://127.0.0.1:3000/api/v1/participants/${EXAMPLE_OGSC_ID}/fhir/Observation?_count=100` },
    ]);
    expect(bundle.entry!.every((entry) => entry.search.mode === 'match')).toBe(true);

    // Every entry's fullUrl answers with its resource.
    for (const entry of bundle.entry!) {
      expect(entry.fullUrl).toBe(`http://127.0.0.1:3000/api/v1/participants/${EXAMPLE_OGSC_ID}/fhir/Observation/${entry.resource.id}`);
      const read = await get(entry.fullUrl.replace('http://127.0.0.1:3000', '')).expect(200);
      expect(fhirBody<Observation>(read)).toEqual(entry.resource);
    }

    const bp = byId.get(id('bp', 1763888405000))!;
    expect(bp).toMatchObject({
      status: 'final',
      meta: { lastUpdated: '2026-11-23T10:05:05.000Z', profile: ['http://hl7.org/fhir/StructureDefinition/bp'] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: LOINC, code: '85354-9' }] },
      subject: { type: 'Patient', identifier: { system: 'urn:opendsp:ogsc-id', value: EXAMPLE_OGSC_ID } },
      effectiveDateTime: '2026-11-23T19:00:05+09:00',
      device: { display: 'M700 Intelli IT' },
      extension: [{ url: 'urn:opendsp:fhir:extension:omron-possible-afib', valueBoolean: false }],
      component: [
        {
          code: { coding: [{ system: LOINC, code: '8480-6' }] },
          valueQuantity: { value: 128, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
        { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 82, code: 'mm[Hg]' } },
      ],
    });
    expect(bp.valueQuantity).toBeUndefined();
    // The schema check is no formality: a status FHIR does not know, or an element it does not define, fails it.
    expect(schema.validate({ ...bp, status: 'done' })).not.toEqual([]);
    expect(schema.validate({ ...bundle, entry: [{ resource: { ...bp, systolic: 128 } }] })).not.toEqual([]);

    // Possible AFib: the flag as the extension, the withheld pressures as data-absent components, never a made-up value.
    const afib = byId.get(id('bp', 1763935393000))!;
    expect(afib.effectiveDateTime).toBe('2026-11-23T17:03:13-05:00');
    expect(afib.extension).toEqual([{ url: 'urn:opendsp:fhir:extension:omron-possible-afib', valueBoolean: true }]);
    expect(
      afib.component!.map((component) => [component.code.coding[0].code, component.valueQuantity, component.dataAbsentReason]),
    ).toEqual([
      ['8480-6', undefined, expect.objectContaining({ coding: [expect.objectContaining({ code: 'unknown' })] })],
      ['8462-4', undefined, expect.objectContaining({ coding: [expect.objectContaining({ code: 'unknown' })] })],
    ]);

    const quantity = (token: string, upstreamId: number) => {
      const observation = byId.get(id(token, upstreamId))!;
      return [
        observation.code.coding.map((coding) => coding.code).join(' '),
        observation.valueQuantity?.value,
        observation.valueQuantity?.code,
      ];
    };
    expect(quantity('bp-hr', 1763888405000)).toEqual(['8867-4', 71, '/min']);
    expect(quantity('weight', 1763851200000)).toEqual(['29463-7', 72.4, 'kg']);
    expect(quantity('bmi', 1763851200000)).toEqual(['39156-5', 23.1, 'kg/m2']);
    expect(quantity('fat', 1763851200000)).toEqual(['41982-0', 24.5, '%']);
    expect(quantity('temp', 1763870000000)).toEqual(['8310-5', 36.7, 'Cel']);
    expect(quantity('spo2', 1763890000000)).toEqual(['59408-5 2708-6', 97, '%']);
    expect(quantity('spo2-hr', 1763890000000)).toEqual(['8867-4', 64, '/min']);
    expect(quantity('steps', 1763823600000)).toEqual(['41950-7', 8432, '/d']);
    expect(byId.get(id('temp', 1763870000000))!.effectiveDateTime).toBe('2026-11-23T09:23:20+05:30');
    expect(byId.get(id('steps', 1763823600000))!.category[0].coding[0].code).toBe('activity');
    expect(byId.get(id('steps', 1763823600000))!.meta.profile).toBeUndefined();
    expect(byId.get(id('weight', 1763851200000))!.meta.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/bodyweight']);

    // docs/examples/fhir-observations.json is this Bundle: written here, and a change to it fails the test until committed.
    const committed = readFileSync(EXAMPLE, 'utf8');
    const generated = `${JSON.stringify(bundle, null, 2)}\n`;
    writeFileSync(EXAMPLE, generated);
    expect(committed).toBe(generated);
  });

  it("pages by the Bundle's next link, every Observation once, in the order of one big page", async () => {
    const participant = await stack.participant([group]);
    const start = Date.parse('2026-10-01T00:00:00Z');
    const kinds = ['blood_pressure', 'weight', 'oxygen', 'activity', 'temperature'] as const;
    // Readings of different kinds at the same instant too: the page order then follows kind, then ID.
    await writeReadings(
      stack.orm.em,
      Array.from({ length: 25 }, (_, n) => ({
        kind: kinds[n % kinds.length],
        participantId: participant.id,
        upstreamId: 5000 + n,
        measuredAt: new Date(start + Math.floor(n / 2) * 3_600_000),
        // Body fat on every other weight reading: a code search for it must skip the others.
        values: kinds[n % kinds.length] === 'weight' ? { body_fat_percent: n % 2 ? null : 20 + n } : {},
      })),
    );
    const whole = await search(participant.ogscId, '?_count=1000');
    expect(whole.link.map((link) => link.relation)).toEqual(['self']);
    expect(ids(whole).length).toBeGreaterThan(40);

    for (const count of [1, 2, 7]) {
      const seen: string[] = [];
      let url: string | undefined = `/api/v1/participants/${participant.ogscId}/fhir/Observation?_count=${count}`;
      while (url) {
        const page = await search(participant.ogscId, url.slice(url.indexOf('?')));
        expect(ids(page).length).toBeLessThanOrEqual(count);
        seen.push(...ids(page));
        const next = page.link.find((link) => link.relation === 'next')?.url;
        if (next)
          expect(next).toMatch(
            new RegExp(
              `^http://127\\.0\\.0\\.1:3000/api/v1/participants/${participant.ogscId}/fhir/Observation\\?_count=${count}&_cursor=`,
            ),
          );
        url = next;
      }
      expect(seen).toEqual(ids(whole));
    }

    // The code filter pages the same way over only its Observations, in the order of the whole search.
    for (const code of ['8867-4', '41982-0', '41982-0,8310-5']) {
      const all = await search(participant.ogscId, `?code=${code}&_count=1000`);
      const paged: string[] = [];
      let next: string | undefined = `?code=${code}&_count=2`;
      while (next) {
        const page = await search(participant.ogscId, next);
        paged.push(...ids(page));
        next = page.link.find((link) => link.relation === 'next')?.url.replace(/^[^?]*/, '');
      }
      expect([code, paged]).toEqual([code, ids(all)]);
      expect([code, ids(all)]).toEqual([code, ids(whole).filter((id, index) => code.split(',').includes(codes(whole)[index]))]);
    }
    expect(ids(await search(participant.ogscId, '?code=41982-0&_count=1000'))).toHaveLength(2);
  });

  it('filters by date with FHIR prefixes on dates and dateTimes, all values together', async () => {
    const participant = await stack.participant([group]);
    // Temperatures at 23:30 UTC on Nov 1–5, which is 08:30 the next morning in Tokyo.
    await writeReadings(
      stack.orm.em,
      [1, 2, 3, 4, 5].map((day) => ({
        kind: 'temperature' as const,
        participantId: participant.id,
        upstreamId: 700 + day,
        measuredAt: new Date(Date.UTC(2026, 10, day, 23, 30)),
      })),
    );
    const days = async (query: string) => ids(await search(participant.ogscId, query)).map((id) => Number(id.split('-').at(-1)) - 700);

    expect(await days('')).toEqual([1, 2, 3, 4, 5]);
    expect(await days('?date=2026-11-03')).toEqual([3]);
    expect(await days('?date=eq2026-11')).toEqual([1, 2, 3, 4, 5]);
    expect(await days('?date=2025')).toEqual([]);
    expect(await days('?date=ge2026-11-02&date=le2026-11-04')).toEqual([2, 3, 4]);
    expect(await days('?date=gt2026-11-02&date=lt2026-11-04')).toEqual([3]);
    expect(await days('?date=ne2026-11-03')).toEqual([1, 2, 4, 5]);
    expect(await days('?date=sa2026-11-04')).toEqual([5]);
    expect(await days('?date=eb2026-11-02')).toEqual([1]);
    // dateTimes in the participant's zone: the reading of Nov 2 23:30 UTC is Nov 3 08:30 in Tokyo.
    expect(
      await days(`?date=${encodeURIComponent('ge2026-11-03T08:30:00+09:00')}&date=${encodeURIComponent('lt2026-11-04T08:30+09:00')}`),
    ).toEqual([2]);
    expect(await days('?date=eq2026-11-02T23:30:00Z')).toEqual([2]);
    expect(await days('?date=gt2026-11-02T23:30:00Z')).toEqual([3, 4, 5]);
    expect(await days('?date=le2026-11-02T23:30Z')).toEqual([1, 2]);
    // An unencoded '+' arrives as a space: still the offset it was meant to be.
    expect(await days('?date=ge2026-11-03T08:30:00+09:00&date=lt2026-11-04T08:30:00+09:00')).toEqual([2]);
    // Bounds that exclude each other match nothing.
    expect(await days('?date=gt2026-11-04&date=lt2026-11-02')).toEqual([]);
  });

  it('filters by code: LOINC code or system|code, commas for any of them; component codes and other systems match nothing', async () => {
    const participant = await stack.participant([group]);
    const at = new Date('2026-09-01T08:00:00Z');
    await writeReadings(stack.orm.em, [
      { kind: 'blood_pressure', participantId: participant.id, upstreamId: 1, measuredAt: at, values: { pulse_bpm: 70 } },
      { kind: 'oxygen', participantId: participant.id, upstreamId: 2, measuredAt: at, values: { pulse_bpm: 66 } },
      { kind: 'weight', participantId: participant.id, upstreamId: 3, measuredAt: at, values: { body_fat_percent: 21.5 } },
    ]);
    const found = async (code: string) => codes(await search(participant.ogscId, `?code=${encodeURIComponent(code)}`));
    expect(await found('85354-9')).toEqual(['85354-9']);
    expect(await found('http://loinc.org|8867-4')).toEqual(['8867-4', '8867-4']);
    expect(await found('29463-7,41982-0')).toEqual(['29463-7', '41982-0']);
    expect(await found('2708-6')).toEqual(['59408-5']);
    expect(await found('59408-5')).toEqual(['59408-5']);
    expect(await found('8480-6')).toEqual([]);
    expect(await found('http://snomed.info/sct|8867-4')).toEqual([]);
    expect(await found('41950-7')).toEqual([]);
  });

  it('answers bad parameters, unknown or invisible participants and missing access with an OperationOutcome and the right 4xx', async () => {
    const path = `/api/v1/participants/${EXAMPLE_OGSC_ID}/fhir/Observation`;
    expect(await outcome(`${path}?date=2026-13-01`, 400)).toMatchObject({
      code: 'validation_failed',
      diagnostics: expect.stringMatching(/^date: /),
    });
    expect((await outcome(`${path}?date=2026-02-30`, 400)).code).toBe('validation_failed');
    expect((await outcome(`${path}?date=ap2026-11-01`, 400)).code).toBe('validation_failed');
    expect((await outcome(`${path}?date=ge2026-11-01T10:00`, 400)).code).toBe('validation_failed');
    expect((await outcome(`${path}?code=,`, 400)).diagnostics).toMatch(/^code: /);
    expect((await outcome(`${path}?_count=0`, 400)).diagnostics).toMatch(/_count/);
    expect((await outcome(`${path}?_count=abc`, 400)).diagnostics).toMatch(/_count/);
    expect((await outcome(`${path}?_cursor=not-ours`, 400)).diagnostics).toMatch(/cursor/);
    expect((await outcome(`${path}?patient=x`, 400)).diagnostics).toMatch(/patient/);
    expect((await outcome(`${path}?_format=xml`, 400)).diagnostics).toMatch(/_format/);
    expect((await search(EXAMPLE_OGSC_ID, `?_format=${encodeURIComponent('application/fhir+json')}&code=8310-5`)).entry).toHaveLength(1);

    expect((await outcome(`/api/v1/participants/OG-0000000000000000000000ZZ/fhir/Observation`, 404)).code).toBe('participant_not_found');
    expect((await outcome(`/api/v1/participants/not-an-id/fhir/Observation`, 404)).code).toBe('participant_not_found');
    // Observations by id: only this participant's, of a type and a reading that exist.
    for (const id of [
      `${EXAMPLE_OGSC_ID}-bp-1`,
      `${EXAMPLE_OGSC_ID}-ecg-1763890100000`,
      `${EXAMPLE_OGSC_ID}-bp-hr-1763935393000`,
      `OG-0000000000000000000000ZZ-bp-1763888405000`,
      'x',
    ]) {
      expect([id, (await outcome(`${path}/${id}`, 404)).code]).toEqual([id, 'not_found']);
    }
    const elsewhere = await stack.participant([await stack.group('Not this client')]);
    expect((await outcome(`/api/v1/participants/${elsewhere.ogscId}/fhir/Observation`, 404)).code).toBe('participant_not_found');

    const res = await get(path, null);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await outcome(path, 401, null)).code).toBe('invalid_token');
    const reader = await stack.client(['participants:read'], [group], 'No measurements');
    expect((await outcome(path, 403, await stack.token(reader.clientId, reader.secret))).code).toBe('insufficient_scope');
  });

  it('shows nothing of a participant who withdrew, as the readings endpoints do', async () => {
    const participant = await stack.participant([group], 'withdrawn');
    await writeReadings(stack.orm.em, [
      { kind: 'temperature', participantId: participant.id, upstreamId: 9, measuredAt: new Date('2026-11-01T00:00:00Z') },
    ]);
    const bundle = await search(participant.ogscId);
    expect(bundle.entry).toBeUndefined();
    expect((await outcome(`/api/v1/participants/${participant.ogscId}/fhir/Observation/${participant.ogscId}-temp-9`, 404)).code).toBe(
      'not_found',
    );
    const measurements = await get(`/api/v1/participants/${participant.ogscId}/measurements/temperature`).expect(200);
    expect(measurements.body.data).toEqual([]);
  });
});
