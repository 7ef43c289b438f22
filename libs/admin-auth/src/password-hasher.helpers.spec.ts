import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMETERS, PasswordHasher } from './password-hasher.helpers.js';

describe('PasswordHasher', () => {
  it('hashes with argon2id and the OWASP parameters, and verifies', async () => {
    const stored = await PasswordHasher.hash('a long passphrase');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(PasswordHasher.verify(stored, 'a long passphrase')).resolves.toBe(true);
    await expect(PasswordHasher.verify(stored, 'another passphrase')).resolves.toBe(false);
    expect(PasswordHasher.needsRehash(stored)).toBe(false);
  });

  it('asks for a rehash when the parameters or the algorithm differ', async () => {
    expect(PasswordHasher.needsRehash(await hash('x', { ...ARGON2_PARAMETERS, timeCost: 3 }))).toBe(true);
    expect(PasswordHasher.needsRehash(await hash('x', { ...ARGON2_PARAMETERS, algorithm: 1 }))).toBe(true);
    expect(PasswordHasher.needsRehash('$2b$10$notargon')).toBe(true);
  });

  it('says no, without throwing, for a missing or broken hash', async () => {
    await expect(PasswordHasher.verify(null, 'anything')).resolves.toBe(false);
    await expect(PasswordHasher.verify('garbage', 'anything')).resolves.toBe(false);
  });
});
