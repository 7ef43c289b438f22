import { createHash } from 'node:crypto';

/** `SHA256:` and the unpadded base64 of 32 bytes: what `ssh-keygen -lf` and OpenSSH's prompts print. */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The SHA-256 fingerprint of a raw SSH host key (the key blob the server sends in the handshake). */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A fingerprint as an admin may paste it (with or without `SHA256:`, with base64 padding, with spaces
 * around it), in the canonical form; null when it is not a SHA-256 fingerprint at all.
 */
export function normalizeFingerprint(input: string): string | null {
  const bare = input
    .trim()
    .replace(/^SHA256:/i, '')
    .replace(/=+$/, '');
  const canonical = `SHA256:${bare}`;
  return FINGERPRINT_PATTERN.test(canonical) ? canonical : null;
}
