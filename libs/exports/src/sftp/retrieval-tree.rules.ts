import { EXPORT_KIND_NAMES } from '@opendsp/measurements';
import { hasControlCharacters } from './delivery-layout.rules.js';

/** What one key may see: its destination's current groups and the manifests of deliveries within them. */
export interface RetrievalScope {
  partnerId: string;
  /** Public group IDs. */
  groupIds: ReadonlySet<string>;
  /** Manifest file names (`{stamp}.json`) of the destination's deliveries whose groups are all in `groupIds`. */
  manifests: ReadonlySet<string>;
}

/**
 * A client's path as the segments below the tree's root; null for a path that would leave the root (`..`
 * above it) or that holds a backslash or a control character. `.` and empty segments are dropped, and a `..`
 * inside the tree goes up one folder, so `cd ..` works; absolute and relative paths both start at the root.
 */
export function treeSegments(path: string): string[] | null {
  if (path.includes('\\') || hasControlCharacters(path)) return null;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments;
}

/** `/a/b` for segments `['a', 'b']`, `/` for none. */
export function treePath(segments: string[]): string {
  return `/${segments.join('/')}`;
}

/**
 * Whether a path of the push delivery layout is in the scope:
 * `data/{partnerId}/{kind}/{groupId}/{stamp}/NNN.csv`, `ecgdata/{partnerId}/ecg/{groupId}/…` and
 * `data/{partnerId}/manifests/{stamp}.json`. Temporary names (`*.part`) are never shown, so a reader sees a
 * file only once it is whole. Whether the path exists is the file system's to say.
 */
export function isVisible(segments: string[], scope: RetrievalScope): boolean {
  const [top, partner, kind, group, ...rest] = segments;
  if (segments.some((segment) => segment.endsWith('.part') || segment.startsWith('.'))) return false;
  if (top === undefined) return true;
  if (top !== 'data' && top !== 'ecgdata') return false;
  if (partner === undefined) return true;
  if (partner !== scope.partnerId) return false;
  if (kind === undefined) return true;
  if (top === 'data' && kind === 'manifests') return rest.length === 0 && (group === undefined || scope.manifests.has(group));
  const kindAllowed = top === 'ecgdata' ? kind === 'ecg' : kind !== 'ecg' && (EXPORT_KIND_NAMES as readonly string[]).includes(kind);
  if (!kindAllowed) return false;
  if (group === undefined) return true;
  return scope.groupIds.has(group) && rest.length <= 2;
}

/** Bits of an SFTP OPEN's flags that ask for anything but reading. */
export const WRITE_FLAGS = 0x02 | 0x04 | 0x08 | 0x10 | 0x20; // WRITE, APPEND, CREAT, TRUNC, EXCL

/** An `ls -l` line for a directory listing (OpenSSH's `ls -l` prints it as is). */
export function longName(name: string, stats: { isDirectory: boolean; size: number; mtime: Date }): string {
  const month = stats.mtime.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(stats.mtime.getUTCDate()).padStart(2, ' ');
  const time = `${String(stats.mtime.getUTCHours()).padStart(2, '0')}:${String(stats.mtime.getUTCMinutes()).padStart(2, '0')}`;
  const mode = stats.isDirectory ? 'dr-xr-xr-x' : '-r--r--r--';
  return `${mode}    1 opendsp  opendsp  ${String(stats.size).padStart(12, ' ')} ${month} ${day} ${time} ${name}`;
}
