import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { DspConfig } from '@opendsp/config';

/**
 * Synchroniser tokens without server state: a form's token is an HMAC of what identifies the visitor —
 * the session (signed in) or a random cookie (not yet) — under a key derived from the active encryption
 * key. A token taken from one visitor is useless for another, and a new session gets new tokens.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(config: DspConfig) {
    const active = config.encryption.keys.find((key) => key.id === config.encryption.activeKeyId)!;
    this.key = Buffer.from(hkdfSync('sha256', active.key, Buffer.alloc(0), 'opendsp portal csrf v1', 32));
  }

  tokenFor(binding: string): string {
    return createHmac('sha256', this.key).update(binding).digest('base64url');
  }

  verify(binding: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length > 100) return false;
    const expected = Buffer.from(this.tokenFor(binding));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
