import { isVisible, longName, treePath, treeSegments, type RetrievalScope } from './retrieval-tree.rules.js';

const scope: RetrievalScope = {
  partnerId: 'acme',
  groupIds: new Set(['7K2M9QX4TR1B']),
  manifests: new Set(['20261123180000.json']),
};
const visible = (path: string): boolean => {
  const segments = treeSegments(path);
  return segments !== null && isVisible(segments, scope);
};

describe('retrieval tree rules', () => {
  it('reads relative and absolute paths from the root, goes up inside the tree, and refuses to leave it', () => {
    expect(treeSegments('/')).toEqual([]);
    expect(treeSegments('.')).toEqual([]);
    expect(treeSegments('data//acme/./blood_pressure/')).toEqual(['data', 'acme', 'blood_pressure']);
    expect(treeSegments('/data/acme/..')).toEqual(['data']);
    expect(treePath(treeSegments('/data/acme/../acme/manifests')!)).toBe('/data/acme/manifests');
    for (const escape of ['..', '/..', '../etc/passwd', '/data/../../etc', 'data\\..\\..', 'data/\u0000', 'data/\n']) {
      expect([escape, treeSegments(escape)]).toEqual([escape, null]);
    }
  });

  it('shows the push layout of the scope’s groups and manifests only', () => {
    for (const path of [
      '/',
      '/data',
      '/ecgdata',
      '/data/acme',
      '/data/acme/blood_pressure',
      '/data/acme/activity_hourly/7K2M9QX4TR1B/20261123180000/001.csv',
      '/ecgdata/acme/ecg/7K2M9QX4TR1B/20261123180000/001.csv',
      '/data/acme/manifests',
      '/data/acme/manifests/20261123180000.json',
    ])
      expect([path, visible(path)]).toEqual([path, true]);
    for (const path of [
      '/ssh_host_ed25519_key',
      '/data/other',
      '/data/acme/ecg',
      '/ecgdata/acme/blood_pressure',
      '/data/acme/unknown_kind',
      '/data/acme/blood_pressure/OTHERGROUP12',
      '/data/acme/blood_pressure/7K2M9QX4TR1B/20261123180000/001.csv.part',
      '/data/acme/blood_pressure/7K2M9QX4TR1B/20261123180000/.hidden',
      '/data/acme/blood_pressure/7K2M9QX4TR1B/20261123180000/001.csv/deeper',
      '/data/acme/manifests/20261124000000.json',
      '/data/acme/manifests/20261123180000.json.part',
    ])
      expect([path, visible(path)]).toEqual([path, false]);
  });

  it('lists files and folders as read-only', () => {
    const mtime = new Date('2026-11-23T18:00:05Z');
    expect(longName('001.csv', { isDirectory: false, size: 1234, mtime })).toMatch(/^-r--r--r-- .* 1234 Nov 23 18:00 001\.csv$/);
    expect(longName('data', { isDirectory: true, size: 4096, mtime })).toMatch(/^dr-xr-xr-x /);
  });
});
