import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Crockford's base32: client IDs survive being read aloud or typed from a screen. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A public client ID such as `dspc_7K2M9QX4TR1B5ZW8HD3N` (20 characters, 100 bits: unique, not secret). */
export function newClientId(): string {
  let id = '';
  for (let i = 0; i < 20; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return `dspc_${id}`;
}

/**
 * A client secret: `dsps_` and 256 random bits in base64url. The prefix lets secret scanners (and people)
 * recognise a leaked one.
 */
export function newClientSecret(): string {
  return `dsps_${randomBytes(32).toString('base64url')}`;
}

/** An opaque bearer token: `dspt_` and 256 random bits. */
export function newAccessToken(): string {
  return `dspt_${randomBytes(32).toString('base64url')}`;
}

/**
 * What the database keeps instead of a secret or token: its SHA-256. argon2id exists to slow down guessing
 * of low-entropy passwords; these values carry 256 random bits, so no amount of guessing can find one
 * from its hash, and a slow hash would only let anyone with a client ID burn server CPU on every token
 * request. Unlike encryption, a hash cannot be undone even by someone holding the encryption keys.
 */
export function hashCredential(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function credentialMatches(presented: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const presentedHash = Buffer.from(hashCredential(presented), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presentedHash.length && timingSafeEqual(presentedHash, stored);
}

export const CLIENT_ID_PATTERN = /^dspc_[0-9A-HJKMNP-TV-Z]{20}$/;
export const ACCESS_TOKEN_PATTERN = /^dspt_[A-Za-z0-9_-]{43}$/;
