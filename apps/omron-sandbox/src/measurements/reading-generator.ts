import type { MeasurementType } from '@opendsp/omron-api';
import { SeededRandom } from '../random/seeded-random.js';
import type {
  ActivityValues,
  BloodPressureValues,
  EcgValues,
  HourlyActivityValues,
  OxygenValues,
  TemperatureValues,
  WeightValues,
} from './measurement-values.js';
import type { NewReading } from './reading-input.js';

export interface GenerateOptions {
  type: MeasurementType;
  from: Date;
  to: Date;
  count: number;
  seed: number;
  /** Share of blood-pressure (and ECG) readings flagged as possible AFib. */
  afibRate?: number;
  /** The user's offset from UTC at an instant, so daily activity starts at local midnight. */
  offsetAt?: (instant: Date) => number;
}

const DAY_MS = 86_400_000;
const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const round1 = (value: number) => Math.round(value * 10) / 10;

const DEVICES: Record<MeasurementType, readonly string[]> = {
  bloodpressure: ['M700 Intelli IT', '7 Series Upper Arm', 'HEM-7361T', 'Evolv BP7000'],
  activity: ['HCR-6900T', 'HJ-325'],
  weight: ['HN-300T2 Intelli IT', 'HBF-222T'],
  temperature: ['model_mc_280b_e', 'model_mc_720_e'],
  oxygen: ['blesmart_00060002b87c6f2aeac4', 'blesmart_000600035c8d7e1f0a21'],
  ecg: ['Complete HEM-7530T', 'KardiaMobile 6L'],
};

/** Scales that only weigh; the API reports their body-composition fields as "-1.0". */
const WEIGHT_ONLY_SCALES = new Set(['HN-300T2 Intelli IT']);

/** The person behind a generated series: stable baselines, so one user's readings look like one body. */
interface Person {
  systolic: number;
  diastolic: number;
  restingPulse: number;
  weightKg: number;
  heightM: number;
  bodyFat: number;
  dailySteps: number;
}

function person(random: SeededRandom): Person {
  const systolic = clamp(random.normal(126, 12), 100, 165);
  return {
    systolic,
    diastolic: clamp(systolic * 0.63 + random.normal(0, 4), 60, 105),
    restingPulse: clamp(random.normal(70, 7), 52, 92),
    weightKg: clamp(random.normal(76, 13), 45, 130),
    heightM: clamp(random.normal(1.7, 0.09), 1.5, 1.95),
    bodyFat: clamp(random.normal(27, 6), 10, 45),
    dailySteps: clamp(random.normal(7000, 2500), 1500, 16000),
  };
}

function bloodPressure(random: SeededRandom, body: Person, afibRate: number, measuredAt: Date): BloodPressureValues {
  // Morning readings run a little higher (the morning surge).
  const morning = new Date(measuredAt).getUTCHours() < 10 ? 4 : 0;
  const systolic = Math.round(clamp(body.systolic + morning + random.normal(0, 8), 85, 210));
  const diastolic = Math.round(clamp(body.diastolic + random.normal(0, 5), 50, Math.min(130, systolic - 20)));
  const afib = random.chance(afibRate);
  const pulse = Math.round(clamp(body.restingPulse + random.normal(0, 6) + (afib ? 25 : 0), 40, 160));
  return { systolic, diastolic, pulse, possibleAfib: afib };
}

function activity(random: SeededRandom, body: Person): ActivityValues {
  const steps = Math.round(clamp(body.dailySteps * Math.exp(random.normal(0, 0.35)), 0, 40000));
  // Steps fall in waking hours, most around commutes and lunch.
  const weights = Array.from({ length: 24 }, (_, hour) => (hour < 6 || hour > 22 ? 0.02 : [7, 8, 12, 17, 18].includes(hour) ? 2.5 : 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const stride = 0.7 + random.next() * 0.1;
  const hourly: HourlyActivityValues[] = [];
  let remaining = steps;
  for (let hour = 0; hour < 24; hour++) {
    const hourSteps =
      hour === 23 ? remaining : Math.min(remaining, Math.round((steps * weights[hour] * (0.6 + random.next() * 0.8)) / total));
    remaining -= hourSteps;
    const aerobic = hourSteps > 600 ? Math.round(hourSteps * (0.3 + random.next() * 0.4)) : 0;
    hourly.push({
      hour,
      steps: hourSteps,
      aerobicSteps: aerobic,
      calories: Math.round(hourSteps * 0.04),
      distanceMeters: Math.round(hourSteps * stride),
    });
  }
  const sum = (key: keyof HourlyActivityValues) => hourly.reduce((acc, hour) => acc + hour[key], 0);
  return {
    steps: sum('steps'),
    aerobicSteps: sum('aerobicSteps'),
    calories: sum('calories'),
    distanceMeters: sum('distanceMeters'),
    hourly,
  };
}

function weight(random: SeededRandom, body: Person, deviceType: string): WeightValues {
  const weightKg = round1(clamp(body.weightKg + random.normal(0, 0.7), 30, 250));
  const bmi = Math.round((weightKg / body.heightM ** 2) * 100) / 100;
  if (WEIGHT_ONLY_SCALES.has(deviceType)) {
    return { weightKg, bmi, bodyFatPercentage: null, restingMetabolism: null, visceralFatLevel: null, skeletalMusclePercentage: null };
  }
  const bodyFatPercentage = round1(clamp(body.bodyFat + random.normal(0, 0.6), 5, 60));
  return {
    weightKg,
    bmi,
    bodyFatPercentage,
    restingMetabolism: Math.round(370 + 21.6 * weightKg * (1 - bodyFatPercentage / 100)),
    visceralFatLevel: round1(clamp(bmi / 3 + random.normal(0, 0.5), 1, 30)),
    skeletalMusclePercentage: round1(clamp(45 - bodyFatPercentage * 0.5 + random.normal(0, 0.5), 15, 50)),
  };
}

function temperature(random: SeededRandom): TemperatureValues {
  // Mostly normal body temperature, now and then a fever.
  const celsius = random.chance(0.05) ? 37.6 + random.next() * 1.8 : random.normal(36.6, 0.25);
  return { celsius: round1(clamp(celsius, 35, 41)) };
}

function oxygen(random: SeededRandom, body: Person): OxygenValues {
  return {
    spo2: Math.round(clamp(random.normal(97.5, 1.2), 88, 100)),
    pulse: Math.round(clamp(body.restingPulse + random.normal(0, 6), 45, 140)),
  };
}

/**
 * A single-lead ECG: PQRST complexes as sums of Gaussian waves at the beat times. AFib has irregular
 * RR intervals and no P waves; the classification follows the rhythm and rate the way home ECG devices do.
 */
export function ecgRecording(random: SeededRandom, body: Person, afib: boolean, samplingRate = 250, durationSeconds = 30): EcgValues {
  const heartRate = Math.round(clamp(body.restingPulse + random.normal(0, 10) + (afib ? 20 : 0), 38, 150));
  const meanRr = 60 / heartRate;
  const beats: number[] = [];
  for (let time = 0.2; time < durationSeconds;) {
    beats.push(time);
    time += afib ? meanRr * (0.6 + random.next() * 0.8) : meanRr * (1 + random.normal(0, 0.02));
  }
  const waves = [
    { offset: -0.2, amplitude: afib ? 0 : 120, width: 0.025 }, // P
    { offset: -0.03, amplitude: -80, width: 0.008 }, // Q
    { offset: 0, amplitude: 1100, width: 0.01 }, // R
    { offset: 0.03, amplitude: -220, width: 0.009 }, // S
    { offset: 0.25, amplitude: 280, width: 0.045 }, // T
  ];
  const waveform = new Array<number>(samplingRate * durationSeconds);
  let beat = 0;
  for (let index = 0; index < waveform.length; index++) {
    const time = index / samplingRate;
    while (beat + 1 < beats.length && beats[beat + 1] - 0.4 < time) beat++;
    let microvolts = random.normal(0, afib ? 25 : 12); // baseline noise, fibrillatory in AFib
    for (const at of [beats[beat], beats[beat + 1]]) {
      if (at === undefined) continue;
      for (const wave of waves) microvolts += wave.amplitude * Math.exp(-(((time - at - wave.offset) / wave.width) ** 2) / 2);
    }
    waveform[index] = Math.round(microvolts);
  }
  const classification = random.chance(0.04)
    ? 'unclassified'
    : afib
      ? 'possibleAfib'
      : heartRate < 50
        ? 'bradycardia'
        : heartRate > 100
          ? 'tachycardia'
          : 'normal';
  return { classification, heartRate, samplingRate, durationSeconds, waveform };
}

/**
 * Random, plausible readings for one person: `count` readings of one type spread over [from, to), each
 * at a distinct second and in time order (activity: one per local day, so at most one per day in the
 * range). The same options and seed give the same readings. Produced one at a time, so a million
 * readings stream into the database without ever being held in memory together.
 */
export function* streamReadings(options: GenerateOptions): Generator<NewReading> {
  const random = new SeededRandom(options.seed);
  const body = person(random);
  const afibRate = options.afibRate ?? 0.03;
  const from = options.from.getTime();
  const to = options.to.getTime();
  const device = random.pick(DEVICES[options.type]);

  if (options.type === 'activity') {
    const offsetAt = options.offsetAt ?? (() => 0);
    const firstDay = Math.ceil(from / DAY_MS) * DAY_MS;
    const days = Math.max(0, Math.ceil((to - firstDay) / DAY_MS));
    const count = Math.min(options.count, days);
    for (let index = 0; index < count; index++) {
      // Evenly spread over the days in range, newest included.
      const day = firstDay + Math.floor(((index + 1) * days) / count - 1) * DAY_MS;
      const measuredAt = new Date(day - offsetAt(new Date(day)) * 1000);
      yield { type: 'activity', measuredAt, deviceType: device, values: activity(random, body) };
    }
    return;
  }

  const slot = (to - from) / options.count;
  for (let index = 0; index < options.count; index++) {
    // A random second inside its own slot: distinct, in order, and irregular like real use.
    const start = Math.ceil((from + index * slot) / 1000) * 1000;
    const end = Math.max(start, Math.floor((from + (index + 1) * slot - 1) / 1000) * 1000);
    const measuredAt = new Date(start + Math.floor(random.next() * ((end - start) / 1000 + 1)) * 1000);
    switch (options.type) {
      case 'bloodpressure':
        yield { type: 'bloodpressure', measuredAt, deviceType: device, values: bloodPressure(random, body, afibRate, measuredAt) };
        break;
      case 'weight':
        yield { type: 'weight', measuredAt, deviceType: device, values: weight(random, body, device) };
        break;
      case 'temperature':
        yield { type: 'temperature', measuredAt, deviceType: device, values: temperature(random) };
        break;
      case 'oxygen':
        yield { type: 'oxygen', measuredAt, deviceType: device, values: oxygen(random, body) };
        break;
      case 'ecg':
        yield { type: 'ecg', measuredAt, deviceType: device, values: ecgRecording(random, body, random.chance(afibRate * 3)) };
        break;
    }
  }
}

/**
 * The times {@link streamReadings} keeps to: [from, to), or for activity days, local midnights, which
 * lie up to 14 hours either side of the range's UTC midnights.
 */
export function generatedSpan(options: Pick<GenerateOptions, 'type' | 'from' | 'to'>): { types: MeasurementType[]; from: Date; to: Date } {
  const margin = options.type === 'activity' ? 14 * 3_600_000 : 0;
  return { types: [options.type], from: new Date(options.from.getTime() - margin), to: new Date(options.to.getTime() + margin) };
}

/** {@link streamReadings} as an array, for small sets. */
export function generateReadings(options: GenerateOptions): NewReading[] {
  return [...streamReadings(options)];
}

/** The most readings of a type that fit in a range (one per second; activity one per day). */
export function maxReadingsInRange(type: MeasurementType, from: Date, to: Date): number {
  const span = to.getTime() - from.getTime();
  if (span <= 0) return 0;
  if (type === 'activity') return Math.max(0, Math.ceil((to.getTime() - Math.ceil(from.getTime() / DAY_MS) * DAY_MS) / DAY_MS));
  return Math.floor(span / 1000);
}
