import type { MeasurementKind } from '@opendsp/measurements';
import type {
  ActivityReadingDto,
  BloodPressureReadingDto,
  OxygenReadingDto,
  ReadingDto,
  TemperatureReadingDto,
  WeightReadingDto,
} from '../dto/readings.dto.js';

/**
 * FHIR R4 Observations from the API's readings, after FHIR's Vital Signs profile
 * (http://hl7.org/fhir/R4/observation-vitalsigns.html). docs/api.md has the table of what maps to what.
 */

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
/** The system of the participant's identifier in `Observation.subject`: the OGSC ID. */
export const OGSC_ID_SYSTEM = 'urn:opendsp:ogsc-id';
/** OMRON's possible-AFib flag on a blood pressure Observation (valueBoolean, on every one, true or false). */
export const POSSIBLE_AFIB_EXTENSION = 'urn:opendsp:fhir:extension:omron-possible-afib';

const CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
const DATA_ABSENT_SYSTEM = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';
const PROFILE = 'http://hl7.org/fhir/StructureDefinition/';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface CodeableConcept {
  coding: Coding[];
  text?: string;
}

export interface Quantity {
  value: number;
  unit: string;
  system: string;
  code: string;
}

export interface ObservationComponent {
  code: CodeableConcept;
  valueQuantity?: Quantity;
  dataAbsentReason?: CodeableConcept;
}

/** The FHIR Observation as this API writes it (a subset of the resource's elements). */
export interface Observation {
  resourceType: 'Observation';
  id: string;
  meta: { lastUpdated: string; profile?: string[] };
  extension?: { url: string; valueBoolean: boolean }[];
  status: 'final';
  category: CodeableConcept[];
  code: CodeableConcept;
  subject: { type: 'Patient'; identifier: { system: string; value: string } };
  effectiveDateTime: string;
  valueQuantity?: Quantity;
  device: { display: string };
  component?: ObservationComponent[];
}

const loinc = (code: string, display: string): Coding => ({ system: LOINC, code, display });
const quantity = (value: number, unit: string, code: string): Quantity => ({ value, unit, system: UCUM, code });

/** One kind of Observation: which reading it comes from, its codes and how its value is read. */
export interface ObservationType {
  /** Part of the Observation's id, `{ogscId}-{token}-{upstreamId}`: unique per reading. */
  token: string;
  kind: MeasurementKind;
  /** The first coding is the Observation's own code; the others are equivalents (SpO2's 2708-6). */
  codings: Coding[];
  text: string;
  category: 'vital-signs' | 'activity';
  /** The base profile of FHIR R4 it follows; none for steps, which are no vital sign. */
  profile: string | null;
  /** The API field a reading needs a value of to have this Observation; null: every reading of the kind has one. */
  requires: string | null;
  /** The value (or components, and extensions); null when the reading has none of this type. */
  value(reading: ReadingDto): Pick<Observation, 'valueQuantity' | 'component' | 'extension'> | null;
}

const SYSTOLIC = loinc('8480-6', 'Systolic blood pressure');
const DIASTOLIC = loinc('8462-4', 'Diastolic blood pressure');

/** A blood pressure component; OMRON withholds the pressures of a reading it flags as possible AFib (stored as null). */
function pressure(coding: Coding, mmhg: number | null): ObservationComponent {
  return {
    code: { coding: [coding], text: coding.display },
    ...(mmhg === null
      ? {
          dataAbsentReason: {
            coding: [{ system: DATA_ABSENT_SYSTEM, code: 'unknown', display: 'Unknown' }],
            text: 'Not sent by OMRON (a reading flagged as possible atrial fibrillation carries no pressures)',
          },
        }
      : { valueQuantity: quantity(mmhg, 'mmHg', 'mm[Hg]') }),
  };
}

const HEART_RATE = loinc('8867-4', 'Heart rate');
const heartRate = (bpm: number | null) => (bpm === null ? null : { valueQuantity: quantity(bpm, 'beats/minute', '/min') });

/** Every Observation type, in the order a reading's Observations are listed. */
export const OBSERVATION_TYPES: readonly ObservationType[] = [
  {
    token: 'bp',
    requires: null,
    kind: 'blood_pressure',
    codings: [loinc('85354-9', 'Blood pressure panel with all children optional')],
    text: 'Blood pressure',
    category: 'vital-signs',
    profile: 'bp',
    value: (reading) => {
      const bp = reading as BloodPressureReadingDto;
      return {
        extension: [{ url: POSSIBLE_AFIB_EXTENSION, valueBoolean: bp.possibleAfib }],
        component: [pressure(SYSTOLIC, bp.systolicMmhg), pressure(DIASTOLIC, bp.diastolicMmhg)],
      };
    },
  },
  {
    token: 'bp-hr',
    requires: 'pulseBpm',
    kind: 'blood_pressure',
    codings: [HEART_RATE],
    text: 'Heart rate',
    category: 'vital-signs',
    profile: 'heartrate',
    value: (reading) => heartRate((reading as BloodPressureReadingDto).pulseBpm),
  },
  {
    token: 'weight',
    requires: 'weightKg',
    kind: 'weight',
    codings: [loinc('29463-7', 'Body weight')],
    text: 'Body weight',
    category: 'vital-signs',
    profile: 'bodyweight',
    value: (reading) => {
      const kg = (reading as WeightReadingDto).weightKg;
      return kg === null ? null : { valueQuantity: quantity(kg, 'kg', 'kg') };
    },
  },
  {
    token: 'bmi',
    requires: 'bmi',
    kind: 'weight',
    codings: [loinc('39156-5', 'Body mass index (BMI) [Ratio]')],
    text: 'Body mass index',
    category: 'vital-signs',
    profile: 'bmi',
    value: (reading) => {
      const bmi = (reading as WeightReadingDto).bmi;
      return bmi === null ? null : { valueQuantity: quantity(bmi, 'kg/m2', 'kg/m2') };
    },
  },
  {
    token: 'fat',
    requires: 'bodyFatPercent',
    kind: 'weight',
    codings: [loinc('41982-0', 'Percentage of body fat Measured')],
    text: 'Body fat',
    category: 'vital-signs',
    profile: 'vitalsigns',
    value: (reading) => {
      const percent = (reading as WeightReadingDto).bodyFatPercent;
      return percent === null ? null : { valueQuantity: quantity(percent, '%', '%') };
    },
  },
  {
    token: 'temp',
    requires: null,
    kind: 'temperature',
    codings: [loinc('8310-5', 'Body temperature')],
    text: 'Body temperature',
    category: 'vital-signs',
    profile: 'bodytemp',
    value: (reading) => ({ valueQuantity: quantity((reading as TemperatureReadingDto).temperatureC, 'C', 'Cel') }),
  },
  {
    token: 'spo2',
    requires: null,
    kind: 'oxygen',
    // 59408-5 says how it was measured (pulse oximetry); 2708-6 is the code FHIR's oxygen saturation profile requires.
    codings: [
      loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
      loinc('2708-6', 'Oxygen saturation in Arterial blood'),
    ],
    text: 'Oxygen saturation (SpO2)',
    category: 'vital-signs',
    profile: 'oxygensat',
    value: (reading) => ({ valueQuantity: quantity((reading as OxygenReadingDto).spo2Percent, '%', '%') }),
  },
  {
    token: 'spo2-hr',
    requires: 'pulseBpm',
    kind: 'oxygen',
    codings: [HEART_RATE],
    text: 'Heart rate',
    category: 'vital-signs',
    profile: 'heartrate',
    value: (reading) => heartRate((reading as OxygenReadingDto).pulseBpm),
  },
  {
    token: 'steps',
    requires: null,
    kind: 'activity',
    codings: [loinc('41950-7', 'Number of steps in 24 hour Measured')],
    text: 'Steps of the day',
    category: 'activity',
    profile: null,
    value: (reading) => ({ valueQuantity: quantity((reading as ActivityReadingDto).steps, 'steps/day', '/d') }),
  },
];

const CATEGORIES: Record<ObservationType['category'], CodeableConcept> = {
  'vital-signs': { coding: [{ system: CATEGORY_SYSTEM, code: 'vital-signs', display: 'Vital Signs' }], text: 'Vital Signs' },
  activity: { coding: [{ system: CATEGORY_SYSTEM, code: 'activity', display: 'Activity' }], text: 'Activity' },
};

/** The kinds of reading that become Observations (ECG does not: its waveform is no vital sign). */
export const FHIR_KINDS: readonly MeasurementKind[] = [...new Set(OBSERVATION_TYPES.map((type) => type.kind))];

/** One reading's Observation of a type, or null when the reading has no such value. */
export function toObservation(type: ObservationType, reading: ReadingDto): Observation | null {
  const value = type.value(reading);
  if (!value) return null;
  return {
    resourceType: 'Observation',
    id: `${reading.ogscId}-${type.token}-${reading.upstreamId}`,
    meta: { lastUpdated: reading.updatedAt, ...(type.profile ? { profile: [`${PROFILE}${type.profile}`] } : {}) },
    ...(value.extension ? { extension: value.extension } : {}),
    status: 'final',
    category: [CATEGORIES[type.category]],
    code: { coding: type.codings, text: type.text },
    subject: { type: 'Patient', identifier: { system: OGSC_ID_SYSTEM, value: reading.ogscId } },
    // The participant's wall-clock time with their own offset, as OMRON reported it.
    effectiveDateTime: reading.measuredAtLocal,
    ...(value.valueQuantity ? { valueQuantity: value.valueQuantity } : {}),
    device: { display: reading.deviceType },
    ...(value.component ? { component: value.component } : {}),
  };
}
