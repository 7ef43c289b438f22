import { posix } from 'node:path';
import type { ExportKind } from '@opendsp/measurements';

/**
 * Where a delivery's files go, relative to the destination's base folder, modelled on OMRON's DSP SFTP:
 * `data/{partnerId}/{kind}/{groupId}/{YYYYMMDDhhmmss}/{NNN}.csv`, with ECG under `ecgdata/` instead of `data/`.
 * `NNN` counts from 001 within the folder.
 */
export function deliveryFolder(partnerId: string, kind: ExportKind, groupId: string, stamp: string): string {
  return posix.join(kind === 'ecg' ? 'ecgdata' : 'data', partnerId, kind, groupId, stamp);
}

export function deliveryFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(3, '0')}.csv`;
}

/** The manifest of a delivery: every file with its row count, size and SHA-256. */
export function manifestPath(partnerId: string, stamp: string): string {
  return posix.join('data', partnerId, 'manifests', `${stamp}.json`);
}

/** A file is written under this name and renamed to its real name once complete. */
export function temporaryName(path: string): string {
  return `${path}.part`;
}

/** `YYYYMMDDhhmmss` in UTC. */
export function stampOf(instant: Date): string {
  return instant.toISOString().replace(/\D/g, '').slice(0, 14);
}

/** The instant a stamp stands for. */
export function instantOfStamp(stamp: string): Date {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp)!;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/** A delivery's stamp: its start time, or one second after the previous delivery's, so folders never collide. */
export function nextStamp(now: Date, previous: string | null): string {
  const stamp = stampOf(now);
  if (!previous || stamp > previous) return stamp;
  return stampOf(new Date(instantOfStamp(previous).getTime() + 1000));
}

/**
 * A remote base folder is a relative or absolute POSIX path without `..`, backslashes or control characters,
 * at most 500 characters; `.` is the SFTP user's home folder.
 */
export function isValidBaseDir(path: string): boolean {
  if (path.length === 0 || path.length > 500) return false;
  if (path.includes('\\') || hasControlCharacters(path)) return false;
  return !path.split('/').includes('..');
}

/** True when the text holds a C0 control character or DEL. */
export function hasControlCharacters(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
