import {
  GENERATED_PASSWORD_LENGTH,
  generateLoginId,
  generatePassword,
  LOGIN_ID_ALPHABET,
  LOGIN_ID_PATTERN,
  normaliseLoginId,
  PASSWORD_ALPHABET,
} from './credentials.rules.js';

describe('generated credentials', () => {
  it('makes passwords of 16 characters from the unambiguous alphabet, never the same twice in 100,000', () => {
    const passwords = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const password = generatePassword();
      expect(password).toHaveLength(GENERATED_PASSWORD_LENGTH);
      passwords.add(password);
    }
    expect(passwords.size).toBe(100_000);
    expect(GENERATED_PASSWORD_LENGTH).toBeGreaterThanOrEqual(16);
    const used = new Set([...passwords].join(''));
    // Every character of the alphabet turns up, and nothing else does: no 0/O/o, 1/I/l.
    expect([...used].sort().join('')).toBe([...PASSWORD_ALPHABET].sort().join(''));
    expect([...used].some((character) => '0Oo1Il'.includes(character))).toBe(false);
    // 55 characters to the 16th power: about 92 bits.
    expect(GENERATED_PASSWORD_LENGTH * Math.log2(PASSWORD_ALPHABET.length)).toBeGreaterThan(90);
  });

  it('makes readable login IDs prefixed with the group ID', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = generateLoginId('G7K2M9QX4TR1');
      expect(id).toMatch(LOGIN_ID_PATTERN);
      expect(id.startsWith('G7K2-')).toBe(true);
      ids.add(id);
    }
    expect(ids.size).toBe(20_000);
    const randomPart = [...ids].map((id) => id.slice(5).replace('-', '')).join('');
    expect([...new Set(randomPart)].sort().join('')).toBe([...LOGIN_ID_ALPHABET].sort().join(''));
  });

  it('reads a typed login ID the way it was meant', () => {
    expect(normaliseLoginId('  g7k2-qx4t-r9b5 ')).toBe('G7K2-QX4T-R9B5');
    expect(normaliseLoginId('GOK2-QX4T-R9B5')).toBe('G0K2-QX4T-R9B5');
    expect(normaliseLoginId('G7Kl-QX4T-R9B5')).toBe('G7K1-QX4T-R9B5');
    expect(normaliseLoginId('G7K2 - QX4T - R9B5')).toBe('G7K2-QX4T-R9B5');
  });
});
