import { createHash, randomBytes } from 'node:crypto';

/** A new high-entropy token, code or secret (256 bits, base64url). */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What is stored for a token or code. A fast hash is enough: they carry 256 random bits, so nothing
 * can be guessed from the digest, and lookups stay one indexed query.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
