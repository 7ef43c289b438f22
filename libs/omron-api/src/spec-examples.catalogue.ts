import { readFileSync } from 'node:fs';
import type { MeasurementSuccessResponse } from './measurement-responses.types.js';
import type { MeasurementType } from './measurement-types.catalogue.js';

/** The example responses of the Partner API spec, copied verbatim into `fixtures/` (the AFib example without its `//` comments). */
export const SPEC_EXAMPLES = {
  'blood-pressure': 'bloodpressure',
  'blood-pressure-afib': 'bloodpressure',
  'activity-hourly': 'activity',
  weight: 'weight',
  temperature: 'temperature',
  oxygen: 'oxygen',
} as const satisfies Record<string, MeasurementType>;

export type SpecExampleName = keyof typeof SPEC_EXAMPLES;

/** Reads one of the spec's example responses. */
export function specExample(name: SpecExampleName): MeasurementSuccessResponse {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as MeasurementSuccessResponse;
}
