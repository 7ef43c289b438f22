import type { MeasurementType } from '@opendsp/omron-api';
import type { MeasurementValuesByType } from './measurement-values.js';

/** A reading as a device (or the staging tool) uploads it. */
export type NewReading = {
  [T in MeasurementType]: {
    type: T;
    measuredAt: Date;
    /** The offset of the device's clock from UTC; defaults to the user's time zone at `measuredAt`. */
    utcOffsetSeconds?: number;
    deviceType: string;
    values: MeasurementValuesByType[T];
  };
}[MeasurementType];
