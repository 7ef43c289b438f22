import ExcelJS from 'exceljs';
import { wallClockInstant } from '@opendsp/time-zone';
import { parseUploadedReadings, ReadingUploadError } from './reading-upload.js';
import type { NewReading } from '../measurements/index.js';

interface Column {
  header: string;
  /** The field of the device-style upload this column fills. */
  field: string;
  width?: number;
}

interface SheetLayout {
  name: string;
  type: NewReading['type'];
  columns: Column[];
  samples: (string | number)[][];
}

const WHEN: Column = { header: 'Date and time (local, YYYY-MM-DD HH:MM)', field: 'dateTime', width: 36 };

/** The template's sheets: one per measurement type of the Partner API (ECG waveforms do not fit a spreadsheet). */
const SHEETS: SheetLayout[] = [
  {
    name: 'Blood pressure',
    type: 'bloodpressure',
    columns: [
      WHEN,
      { header: 'Systolic (mmHg)', field: 'systolic' },
      { header: 'Diastolic (mmHg)', field: 'diastolic' },
      { header: 'Pulse (bpm)', field: 'pulse' },
      { header: 'Possible AFib (yes/no)', field: 'possibleAfib' },
      { header: 'Device', field: 'deviceType', width: 22 },
    ],
    samples: [
      ['2024-05-01 07:30', 128, 82, 68, 'no', 'M700 Intelli IT'],
      ['2024-05-01 21:10', 121, 79, 64, 'no', 'M700 Intelli IT'],
      ['2024-05-02 07:25', 142, 91, 97, 'yes', '7 Series Upper Arm'],
    ],
  },
  {
    name: 'Weight',
    type: 'weight',
    columns: [
      WHEN,
      { header: 'Weight (kg)', field: 'weightKg' },
      { header: 'BMI', field: 'bmi' },
      { header: 'Body fat (%)', field: 'bodyFatPercentage' },
      { header: 'Resting metabolism (kcal)', field: 'restingMetabolism' },
      { header: 'Visceral fat level', field: 'visceralFatLevel' },
      { header: 'Skeletal muscle (%)', field: 'skeletalMusclePercentage' },
      { header: 'Device', field: 'deviceType', width: 22 },
    ],
    samples: [
      ['2024-05-01 07:40', 71.6, 25.52, '', '', '', '', 'HN-300T2 Intelli IT'],
      ['2024-05-02 07:35', 71.2, 25.38, 24.1, 1480, 8.5, 31.2, 'HBF-222T'],
    ],
  },
  {
    name: 'Activity',
    type: 'activity',
    columns: [
      { header: 'Date (local, YYYY-MM-DD)', field: 'dateTime', width: 26 },
      { header: 'Steps', field: 'steps' },
      { header: 'Aerobic steps', field: 'aerobicSteps' },
      { header: 'Calories (kcal)', field: 'calories' },
      { header: 'Distance (km)', field: 'distanceKm' },
      { header: 'Device', field: 'deviceType', width: 22 },
    ],
    samples: [
      ['2024-05-01', 8214, 3020, 329, 6.1, 'HCR-6900T'],
      ['2024-05-02', 5120, 900, 205, 3.8, 'HCR-6900T'],
    ],
  },
  {
    name: 'Temperature',
    type: 'temperature',
    columns: [WHEN, { header: 'Temperature (°C)', field: 'celsius' }, { header: 'Device', field: 'deviceType', width: 22 }],
    samples: [['2024-05-01 08:00', 36.6, 'model_mc_280b_e']],
  },
  {
    name: 'Oxygen',
    type: 'oxygen',
    columns: [
      WHEN,
      { header: 'SpO2 (%)', field: 'spo2' },
      { header: 'Pulse (bpm)', field: 'pulse' },
      { header: 'Device', field: 'deviceType', width: 30 },
    ],
    samples: [['2024-05-01 08:05', 98, 71, 'blesmart_00060002b87c6f2aeac4']],
  },
];

/** The staging tool's "Download Sample": an Excel template with example readings to edit and upload. */
export async function readingsTemplate(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'OMRON sandbox';
  const about = workbook.addWorksheet('Instructions');
  about.getColumn(1).width = 110;
  for (const line of [
    'OMRON sandbox: readings upload template',
    'Edit or add rows on the other sheets (one sheet per measurement type), save, and upload the file in the staging tool.',
    'Times are local to the signed-in test user (their time zone setting). Leave optional cells empty for values a device did not measure.',
    'Each row becomes a reading of the signed-in user, exactly as if a device had uploaded it; authorised apps are notified.',
    'A reading of the same type and time (to the second) as an existing one is ignored.',
  ]) {
    about.addRow([line]);
  }
  about.getRow(1).font = { bold: true, size: 14 };
  for (const layout of SHEETS) {
    const sheet = workbook.addWorksheet(layout.name);
    sheet.columns = layout.columns.map((column) => ({ header: column.header, key: column.field, width: column.width ?? 18 }));
    sheet.getRow(1).font = { bold: true };
    for (const sample of layout.samples) sheet.addRow(sample);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A cell's plain value: formulas give their result, rich text its text. */
function plain(value: ExcelJS.CellValue): unknown {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    if ('result' in value) return plain(value.result as ExcelJS.CellValue);
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('text' in value) return value.text;
  }
  return typeof value === 'string' ? value.trim() : value;
}

/** Wall-clock time from a date cell (Excel stores wall-clock time, which exceljs hands over as UTC) or text. */
function wallClock(value: unknown): Date | null {
  if (value instanceof Date) return value;
  const match = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value) : null;
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return date.getUTCMonth() === month - 1 && hour < 24 && minute < 60 && second < 60 ? date : null;
}

/**
 * Reads a filled-in template into readings of a user in `timeZone`; throws {@link ReadingUploadError}
 * naming sheet, row and problem for every bad cell. Unknown sheets are ignored; empty rows skipped.
 */
export async function parseReadingsSpreadsheet(file: Buffer, timeZone: string, options: { maxReadings: number }): Promise<NewReading[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw new ReadingUploadError(['The file is not an Excel workbook (.xlsx); start from the downloaded template']);
  }
  const readings: NewReading[] = [];
  const problems: string[] = [];
  for (const layout of SHEETS) {
    const sheet = workbook.getWorksheet(layout.name);
    if (!sheet) continue;
    const rows: Record<string, unknown>[] = [];
    const rowNumbers: number[] = [];
    sheet.eachRow((row, rowNumber) => {
      if (rowNumber === 1) return;
      const cells = layout.columns.map((_, index) => plain(row.getCell(index + 1).value));
      if (cells.every((cell) => cell === null || cell === undefined || cell === '')) return;
      const record: Record<string, unknown> = { type: layout.type };
      layout.columns.forEach((column, index) => (record[column.field] = cells[index]));
      const local = wallClock(record.dateTime);
      if (!local) {
        problems.push(`${layout.name} row ${rowNumber}: the date and time must look like 2024-05-01 07:30`);
        return;
      }
      record.dateTime = wallClockInstant(local, timeZone).toISOString();
      if (layout.type === 'activity' && record.distanceKm !== undefined && record.distanceKm !== null && record.distanceKm !== '') {
        record.distanceMeters = Number(record.distanceKm) * 1000;
      }
      delete record.distanceKm;
      rows.push(record);
      rowNumbers.push(rowNumber);
    });
    if (rows.length === 0) continue;
    try {
      readings.push(...parseUploadedReadings(rows, { maxReadings: options.maxReadings }));
    } catch (error) {
      if (!(error instanceof ReadingUploadError)) throw error;
      // Turn "readings[2].systolic" into "Blood pressure row 4: systolic".
      problems.push(
        ...error.problems.map((problem) =>
          problem.replace(/^readings\[(\d+)\]\.?/, (_, index: string) => `${layout.name} row ${rowNumbers[Number(index)] ?? '?'}: `),
        ),
      );
    }
  }
  if (problems.length > 0) throw new ReadingUploadError(problems);
  if (readings.length === 0) throw new ReadingUploadError(['The workbook has no readings; fill in rows on the measurement sheets']);
  if (readings.length > options.maxReadings) throw new ReadingUploadError([`At most ${options.maxReadings} readings per upload`]);
  return readings;
}
