import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { DspConfig } from '@opendsp/config';
import { LoginThrottle } from './login-throttle.entity.js';

/** A client address may fail this many times more than one login ID before it is paused too. */
const ADDRESS_FACTOR = 4;

/**
 * Counts failed sign-ins and locks a login ID (and a noisy client address) for a while after too many.
 * The same rules apply to login IDs that do not exist, so the answer never tells whether an account does.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
  ) {}

  private keys(loginId: string, ip: string | null): { key: string; limit: number }[] {
    const max = this.config.portal.loginMaxFailures;
    return [
      { key: `login:${loginId.trim().toLowerCase()}`, limit: max },
      ...(ip ? [{ key: `ip:${ip}`, limit: max * ADDRESS_FACTOR }] : []),
    ];
  }

  /** True while the login ID or the address is locked. */
  async isLocked(loginId: string, ip: string | null, now = new Date()): Promise<boolean> {
    const rows = await this.em.fork().find(LoginThrottle, { key: { $in: this.keys(loginId, ip).map(({ key }) => key) } });
    return rows.some((row) => row.lockedUntil !== null && row.lockedUntil > now);
  }

  /**
   * Counts one failure. Failures older than the lockout period are forgotten. Returns true when this failure
   * locked the login ID (the moment worth an audit event of its own).
   */
  async recordFailure(loginId: string, ip: string | null, now = new Date()): Promise<boolean> {
    const windowMs = this.config.portal.loginLockoutMinutes * 60_000;
    let lockedNow = false;
    await this.em.fork().transactional(async (em) => {
      for (const { key, limit } of this.keys(loginId, ip)) {
        // Insert-if-missing, then lock the row: concurrent failures count exactly.
        await em
          .getConnection()
          .execute(
            `insert into login_throttle (key, failures, window_started_at) values (?, 0, ?) on conflict (key) do nothing`,
            [key, now],
            'run',
            em.getTransactionContext(),
          );
        const row = await em.findOneOrFail(LoginThrottle, { key }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (now.getTime() - row.windowStartedAt.getTime() > windowMs && !(row.lockedUntil && row.lockedUntil > now)) {
          row.failures = 0;
          row.windowStartedAt = now;
          row.lockedUntil = null;
        }
        row.failures++;
        if (row.failures >= limit && !(row.lockedUntil && row.lockedUntil > now)) {
          row.lockedUntil = new Date(now.getTime() + windowMs);
          if (key.startsWith('login:')) lockedNow = true;
        }
      }
    });
    return lockedNow;
  }

  /** A successful sign-in clears the login ID's count (the address keeps its own). */
  async clear(loginId: string): Promise<void> {
    await this.em.fork().nativeDelete(LoginThrottle, { key: `login:${loginId.trim().toLowerCase()}` });
  }
}
