import { Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 degree of parallelism. */
export const ARGON2_PARAMETERS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// A hash of nothing anyone knows, verified for unknown login IDs so they take as long as known ones.
let dummyHash: Promise<string> | undefined;

/** Hashes and verifies admin passwords with argon2id. */
export const PasswordHasher = {
  hash(password: string): Promise<string> {
    return hash(password, ARGON2_PARAMETERS);
  },

  /** Verifies `password` against `stored`; with no stored hash, spends the same time and says no. */
  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    if (!stored) {
      dummyHash ??= hash('opendsp-no-such-admin', ARGON2_PARAMETERS);
      await verify(await dummyHash, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  },

  /** True when `stored` was made with other parameters than today's (older policy, other algorithm): rehash at next sign-in. */
  needsRehash(stored: string): boolean {
    try {
      const options = parseOptions(stored);
      return (
        options.algorithm !== ARGON2_PARAMETERS.algorithm ||
        options.memoryCost !== ARGON2_PARAMETERS.memoryCost ||
        options.timeCost !== ARGON2_PARAMETERS.timeCost ||
        options.parallelism !== ARGON2_PARAMETERS.parallelism
      );
    } catch {
      return true;
    }
  },
};
