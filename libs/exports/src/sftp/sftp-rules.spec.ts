import { createHash, randomBytes } from 'node:crypto';
import { nextRunOf, isValidSchedule } from './cron-schedule.rules.js';
import { deliveryFileName, deliveryFolder, isValidBaseDir, manifestPath, nextStamp, stampOf } from './delivery-layout.rules.js';
import { hostKeyFingerprint, normalizeFingerprint } from './host-key.rules.js';

describe('SFTP delivery rules', () => {
  it('computes host key fingerprints as ssh-keygen prints them, and reads them back however they were pasted', () => {
    const key = randomBytes(51);
    const fingerprint = hostKeyFingerprint(key);
    expect(fingerprint).toBe(`SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`);
    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const bare = fingerprint.slice(7);
    expect(normalizeFingerprint(bare)).toBe(fingerprint);
    expect(normalizeFingerprint(`  sha256:${bare}=  `)).toBe(fingerprint);
    expect(normalizeFingerprint('MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48')).toBeNull();
    expect(normalizeFingerprint(`SHA256:${bare.slice(1)}`)).toBeNull();
  });

  it('accepts five-field cron schedules and the usual aliases, in the environment’s time zone', () => {
    expect(nextRunOf('0 3 * * *', new Date('2026-11-23T10:00:00Z'), 'Asia/Tokyo')).toEqual(new Date('2026-11-23T18:00:00Z'));
    expect(nextRunOf('*/30 * * * *', new Date('2026-11-23T10:05:00Z'), 'UTC')).toEqual(new Date('2026-11-23T10:30:00Z'));
    expect(nextRunOf('@daily', new Date('2026-11-23T10:00:00Z'), 'UTC')).toEqual(new Date('2026-11-24T00:00:00Z'));
    // Across the spring DST change in New York, 03:00 local is 07:00 UTC before and 07:00 UTC after too.
    expect(nextRunOf('0 3 * * *', new Date('2026-03-08T12:00:00Z'), 'America/New_York')).toEqual(new Date('2026-03-09T07:00:00Z'));
    for (const bad of ['', '* * *', '* * * * * *', '61 * * * *', '0 3 * * mon-xyz', '@reboot', 'every day', '*/0 * * * *']) {
      expect([bad, isValidSchedule(bad)]).toEqual([bad, false]);
    }
  });

  it('lays files out as data/{partnerId}/{kind}/{groupId}/{YYYYMMDDhhmmss}/{NNN}.csv, ECG under ecgdata', () => {
    expect(deliveryFolder('acme', 'blood_pressure', 'ABCDEF123456', '20261123100000')).toBe(
      'data/acme/blood_pressure/ABCDEF123456/20261123100000',
    );
    expect(deliveryFolder('acme', 'ecg', 'ABCDEF123456', '20261123100000')).toBe('ecgdata/acme/ecg/ABCDEF123456/20261123100000');
    expect([1, 12, 999, 10_000].map(deliveryFileName)).toEqual(['001.csv', '012.csv', '999.csv', '10000.csv']);
    expect(manifestPath('acme', '20261123100000')).toBe('data/acme/manifests/20261123100000.json');
  });

  it('gives every delivery of a destination a later folder than the one before, even within one second', () => {
    const now = new Date('2026-11-23T10:00:00.500Z');
    expect(stampOf(now)).toBe('20261123100000');
    expect(nextStamp(now, null)).toBe('20261123100000');
    expect(nextStamp(now, '20261123095959')).toBe('20261123100000');
    expect(nextStamp(now, '20261123100000')).toBe('20261123100001');
    expect(nextStamp(now, '20261231235959')).toBe('20270101000000');
  });

  it('accepts remote base folders without .., backslashes or control characters', () => {
    for (const good of ['.', 'inbox', '/home/dsp/inbox', 'a/b/c', 'データ']) expect([good, isValidBaseDir(good)]).toEqual([good, true]);
    for (const bad of ['', '../etc', 'a/../../b', 'a\\b', 'in\nbox', 'x'.repeat(501)])
      expect([bad, isValidBaseDir(bad)]).toEqual([bad, false]);
  });
});
