import { randomBytes } from 'node:crypto';
import { generateEncryptionKey, parseEncryptionKeys, SecretBox, SecretDecryptionError } from './secret-box.service.js';

const location = { table: 'omron_connection', column: 'refresh_token', rowId: '7b0c6d5e-0000-4000-8000-000000000001' };
const key = (id: string) => ({ id, key: randomBytes(32) });

describe(SecretBox.name, () => {
  const k1 = key('k1');
  const box = new SecretBox([k1], 'k1');

  it('round-trips a value and never repeats a ciphertext for the same plaintext', () => {
    const a = box.encrypt('refresh-token-canary', location);
    const b = box.encrypt('refresh-token-canary', location);
    expect(a).not.toBe(b);
    expect(a).not.toContain('canary');
    expect(a).toMatch(/^v1\.k1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(box.decrypt(a, location)).toBe('refresh-token-canary');
  });

  it('fails when one bit of the ciphertext is flipped', () => {
    const [version, keyId, iv, ciphertext, tag] = box.encrypt('secret', location).split('.');
    const bytes = Buffer.from(ciphertext, 'base64url');
    bytes[0] ^= 0x01;
    expect(() => box.decrypt([version, keyId, iv, bytes.toString('base64url'), tag].join('.'), location)).toThrow(SecretDecryptionError);
  });

  it('fails when the tag is truncated', () => {
    const value = box.encrypt('secret', location);
    const parts = value.split('.');
    parts[4] = Buffer.from(parts[4], 'base64url').subarray(0, 12).toString('base64url');
    expect(() => box.decrypt(parts.join('.'), location)).toThrow(/truncated tag/);
  });

  it.each([
    ['another row', { ...location, rowId: '7b0c6d5e-0000-4000-8000-000000000002' }],
    ['another column', { ...location, column: 'access_token' }],
    ['another table', { ...location, table: 'sftp_destination' }],
  ])('fails when the ciphertext is moved to %s', (_, elsewhere) => {
    expect(() => box.decrypt(box.encrypt('secret', location), elsewhere)).toThrow(SecretDecryptionError);
  });

  it('decrypts under a retired key and marks the value for re-encryption under the active one', () => {
    const old = new SecretBox([k1], 'k1').encrypt('secret', location);
    const rotated = new SecretBox([k1, key('k2')], 'k2');
    expect(rotated.decrypt(old, location)).toBe('secret');
    expect(rotated.needsReencryption(old)).toBe(true);
    expect(rotated.needsReencryption(rotated.encrypt('secret', location))).toBe(false);
  });

  it('refuses a value under a key that is not configured, or that is not a ciphertext', () => {
    const foreign = new SecretBox([key('k9')], 'k9').encrypt('secret', location);
    expect(() => box.decrypt(foreign, location)).toThrow(/key "k9", which is not configured/);
    expect(() => box.decrypt('plain-text-token', location)).toThrow(SecretDecryptionError);
  });

  it('refuses keys of the wrong size and an active key that is not listed', () => {
    expect(() => new SecretBox([{ id: 'short', key: randomBytes(16) }], 'short')).toThrow(/32 bytes/);
    expect(() => new SecretBox([k1], 'k2')).toThrow(/not among the configured keys/);
  });

  it('parses the ENCRYPTION_KEYS format it generates', () => {
    const [parsed] = parseEncryptionKeys(` ${generateEncryptionKey('2026-11')} `);
    expect(parsed.id).toBe('2026-11');
    expect(parsed.key).toHaveLength(32);
  });
});
