import { randomBytes } from 'node:crypto';

/** Crockford's base32 alphabet (no I, L, O, U): IDs survive being read aloud, typed or printed. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A new OGSC ID such as `OG-7K2M9QX4TR1B5ZW8HD3NCAE6`: "OG-" and 24 characters carrying 120 random bits,
 * so it is opaque (says nothing about the person or the time) and cannot be guessed or enumerated.
 */
export function generateOgscId(): string {
  const bytes = randomBytes(15);
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      id += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `OG-${id}`;
}

/** True for strings that have the shape of an OGSC ID (cheap check before a database lookup). */
export function looksLikeOgscId(value: string): boolean {
  return /^OG-[0-9A-HJKMNP-TV-Z]{24}$/.test(value);
}
