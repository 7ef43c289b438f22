import { randomInt } from 'node:crypto';

/**
 * Characters of generated login IDs: digits and capitals without 0/O, 1/I/L and U, so an ID printed on a
 * credential sheet is not misread or mistyped.
 */
export const LOGIN_ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Characters of generated passwords: digits and both cases without 0/O/o and 1/I/l. */
export const PASSWORD_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz';

/** 16 characters from 55: about 92 bits, far beyond guessing even without the sign-in throttle. */
export const GENERATED_PASSWORD_LENGTH = 16;

/** `G7K2-QX4T-R9B5`: the first four characters of the group ID, then eight random ones in two blocks. */
export const LOGIN_ID_PATTERN = /^[0-9A-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/;

function randomString(alphabet: string, length: number): string {
  let value = '';
  // randomInt draws without modulo bias from the CSPRNG.
  for (let i = 0; i < length; i++) value += alphabet[randomInt(alphabet.length)];
  return value;
}

/** A new login ID for a participant pre-created in the group with this public group ID (about 39 random bits; uniqueness is the database's). */
export function generateLoginId(groupId: string): string {
  return `${groupId.slice(0, 4).toUpperCase()}-${randomString(LOGIN_ID_ALPHABET, 4)}-${randomString(LOGIN_ID_ALPHABET, 4)}`;
}

/** A new generated password for a pre-created account: shown once, stored only as an argon2id hash. */
export function generatePassword(): string {
  return randomString(PASSWORD_ALPHABET, GENERATED_PASSWORD_LENGTH);
}

/**
 * A login ID as typed by a person, in the stored form: trimmed, upper case, inner spaces dropped, and the
 * look-alikes a generated ID never contains read as what was meant (O → 0, I and L → 1, as Crockford's
 * base32 does). For the participant sign-in page.
 */
export function normaliseLoginId(typed: string): string {
  return typed.trim().toUpperCase().replace(/\s+/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
