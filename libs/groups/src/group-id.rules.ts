import { randomInt } from 'node:crypto';

/** Crockford's base32 alphabet: no I, L, O or U, so an ID read aloud or off paper is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new public group ID such as `G7K2M9QX4TR1`: 12 characters, about 60 bits of randomness. */
export function generateGroupId(): string {
  let id = '';
  for (let i = 0; i < 12; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
