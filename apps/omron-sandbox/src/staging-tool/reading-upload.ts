import { MEASUREMENT_TYPES, isMeasurementType } from '@opendsp/omron-api';
import type { EcgClassification, HourlyActivityValues, NewReading } from '../measurements/index.js';

/** A reading upload that does not validate; lists every problem (`readings[3].systolic: …`). */
export class ReadingUploadError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid readings: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? ` (and ${problems.length - 20} more)` : ''}`);
    this.name = 'ReadingUploadError';
  }
}

const ECG_CLASSES: EcgClassification[] = ['normal', 'possibleAfib', 'bradycardia', 'tachycardia', 'unclassified'];

/** Validates one value; collects a problem instead of throwing so one upload reports all of them. */
class Checker {
  readonly problems: string[] = [];
  constructor(
    private readonly source: Record<string, unknown>,
    private readonly at: string,
  ) {}

  number(name: string, min: number, max: number, options: { optional?: boolean; integer?: boolean } = {}): number | null {
    const value = this.source[name];
    if (value === undefined || value === null || value === '') {
      if (!options.optional) this.problems.push(`${this.at}.${name}: required`);
      return null;
    }
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (
      typeof number !== 'number' ||
      !Number.isFinite(number) ||
      number < min ||
      number > max ||
      (options.integer && !Number.isInteger(number))
    ) {
      this.problems.push(`${this.at}.${name}: must be ${options.integer ? 'a whole number' : 'a number'} between ${min} and ${max}`);
      return null;
    }
    return number;
  }

  text(name: string, fallback: string): string {
    const value = this.source[name];
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value !== 'string' || value.length > 100) {
      this.problems.push(`${this.at}.${name}: must be text of at most 100 characters`);
      return fallback;
    }
    return value;
  }

  flag(name: string): boolean {
    const value = this.source[name];
    if (value === undefined || value === null || value === '') return false;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|yes|y|1)$/i.test(value.trim())) return true;
    if (typeof value === 'string' && /^(false|no|n|0)$/i.test(value.trim())) return false;
    this.problems.push(`${this.at}.${name}: must be true or false`);
    return false;
  }

  instant(name: string): Date | null {
    const value = this.source[name];
    const date = value instanceof Date ? value : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1990 || date.getTime() > Date.now() + 86_400_000) {
      this.problems.push(`${this.at}.${name}: must be an ISO 8601 date-time (e.g. 2024-05-01T07:30:00Z), not in the future`);
      return null;
    }
    return date;
  }
}

/**
 * Turns a device-style upload (`{type, dateTime, utcOffsetSeconds?, deviceType?, …values}`, values in
 * metric units) into readings, or throws {@link ReadingUploadError} listing every problem. Nothing is
 * stored unless the whole upload is valid.
 */
export function parseUploadedReadings(input: unknown, options: { maxReadings: number }): NewReading[] {
  if (!Array.isArray(input)) throw new ReadingUploadError(['readings: must be an array']);
  if (input.length > options.maxReadings) throw new ReadingUploadError([`readings: at most ${options.maxReadings} per upload`]);
  const problems: string[] = [];
  const readings: NewReading[] = [];
  input.forEach((item: unknown, index) => {
    const at = `readings[${index}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const source = item as Record<string, unknown>;
    if (!isMeasurementType(source.type)) {
      problems.push(`${at}.type: must be one of ${MEASUREMENT_TYPES.join(', ')}`);
      return;
    }
    const check = new Checker(source, at);
    const measuredAt = check.instant('dateTime');
    const offset = check.number('utcOffsetSeconds', -14 * 3600, 14 * 3600, { optional: true, integer: true });
    const common = { measuredAt: measuredAt!, utcOffsetSeconds: offset ?? undefined };
    let reading: NewReading | null = null;
    switch (source.type) {
      case 'bloodpressure': {
        const values = {
          systolic: check.number('systolic', 40, 300, { integer: true })!,
          diastolic: check.number('diastolic', 20, 200, { integer: true })!,
          pulse: check.number('pulse', 20, 250, { integer: true })!,
          possibleAfib: check.flag('possibleAfib'),
        };
        reading = { type: 'bloodpressure', ...common, deviceType: check.text('deviceType', 'M700 Intelli IT'), values };
        break;
      }
      case 'activity': {
        const steps = check.number('steps', 0, 200_000, { integer: true })!;
        const hourly = Array.isArray(source.hourly)
          ? (source.hourly as unknown[]).map((hour, hourIndex): HourlyActivityValues => {
              const hourCheck = new Checker((hour ?? {}) as Record<string, unknown>, `${at}.hourly[${hourIndex}]`);
              const values = {
                hour: hourCheck.number('hour', 0, 23, { integer: true })!,
                steps: hourCheck.number('steps', 0, 50_000, { integer: true })!,
                aerobicSteps: hourCheck.number('aerobicSteps', 0, 50_000, { integer: true, optional: true }) ?? 0,
                calories: hourCheck.number('calories', 0, 10_000, { integer: true, optional: true }) ?? 0,
                distanceMeters: hourCheck.number('distanceMeters', 0, 100_000, { optional: true }) ?? 0,
              };
              problems.push(...hourCheck.problems);
              return values;
            })
          : null;
        const values = {
          steps,
          aerobicSteps: check.number('aerobicSteps', 0, 200_000, { integer: true, optional: true }) ?? 0,
          calories: check.number('calories', 0, 20_000, { integer: true, optional: true }) ?? Math.round(steps * 0.04),
          distanceMeters: check.number('distanceMeters', 0, 500_000, { optional: true }) ?? Math.round(steps * 0.75),
          hourly,
        };
        reading = { type: 'activity', ...common, deviceType: check.text('deviceType', 'HCR-6900T'), values };
        break;
      }
      case 'weight': {
        const values = {
          weightKg: check.number('weightKg', 2, 400)!,
          bmi: check.number('bmi', 5, 100)!,
          bodyFatPercentage: check.number('bodyFatPercentage', 1, 80, { optional: true }),
          restingMetabolism: check.number('restingMetabolism', 300, 6000, { optional: true }),
          visceralFatLevel: check.number('visceralFatLevel', 0.5, 60, { optional: true }),
          skeletalMusclePercentage: check.number('skeletalMusclePercentage', 5, 80, { optional: true }),
        };
        reading = { type: 'weight', ...common, deviceType: check.text('deviceType', 'HBF-222T'), values };
        break;
      }
      case 'temperature':
        reading = {
          type: 'temperature',
          ...common,
          deviceType: check.text('deviceType', 'model_mc_280b_e'),
          values: { celsius: check.number('celsius', 30, 45)! },
        };
        break;
      case 'oxygen':
        reading = {
          type: 'oxygen',
          ...common,
          deviceType: check.text('deviceType', 'blesmart_00060002b87c6f2aeac4'),
          values: { spo2: check.number('spo2', 50, 100, { integer: true })!, pulse: check.number('pulse', 20, 250, { integer: true })! },
        };
        break;
      case 'ecg': {
        const samplingRate = check.number('samplingRate', 50, 1000, { integer: true })!;
        const waveform = source.waveform;
        if (
          !Array.isArray(waveform) ||
          waveform.length === 0 ||
          waveform.length > 600_000 ||
          !waveform.every((sample) => Number.isInteger(sample))
        ) {
          problems.push(`${at}.waveform: must be a non-empty array of whole microvolt values`);
        }
        const classification = check.text('classification', 'unclassified') as EcgClassification;
        if (!ECG_CLASSES.includes(classification)) problems.push(`${at}.classification: must be one of ${ECG_CLASSES.join(', ')}`);
        const samples = Array.isArray(waveform) ? (waveform as number[]) : [];
        reading = {
          type: 'ecg',
          ...common,
          deviceType: check.text('deviceType', 'Complete HEM-7530T'),
          values: {
            classification,
            heartRate: check.number('heartRate', 20, 300, { integer: true })!,
            samplingRate,
            durationSeconds: samplingRate ? Math.round((samples.length / samplingRate) * 10) / 10 : 0,
            waveform: samples,
          },
        };
        break;
      }
    }
    problems.push(...check.problems);
    if (reading) readings.push(reading);
  });
  if (problems.length > 0) throw new ReadingUploadError(problems);
  return readings;
}
