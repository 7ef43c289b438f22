import { generateOgscId, looksLikeOgscId } from './ogsc-id.rules.js';

describe('OGSC ID', () => {
  it('has the documented shape and never repeats in 100,000 draws', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = generateOgscId();
      expect(looksLikeOgscId(id)).toBe(true);
      ids.add(id);
    }
    expect(ids.size).toBe(100_000);
  });

  it('uses every character of the alphabet, so the 120 random bits are all spent', () => {
    const seen = new Set(Array.from({ length: 2_000 }, () => generateOgscId().slice(3)).join(''));
    expect(seen.size).toBe(32);
    expect([...seen].some((character) => 'ILOU'.includes(character))).toBe(false);
  });

  it('rejects look-alikes before they reach the database', () => {
    for (const bad of [
      '',
      'OG-',
      'og-7K2M9QX4TR1B5ZW8HD3NCAE6',
      'OG-7K2M9QX4TR1B5ZW8HD3NCAEI',
      'OG-7K2M9QX4TR1B5ZW8HD3NCAE6X',
      "OG-' or 1=1 --",
    ]) {
      expect(looksLikeOgscId(bad)).toBe(false);
    }
  });
});
