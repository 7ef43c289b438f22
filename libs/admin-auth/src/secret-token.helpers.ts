import { createHash, randomBytes } from 'node:crypto';

/** A random token for cookies and one-time links (256 bits, URL-safe). */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database stores instead of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
