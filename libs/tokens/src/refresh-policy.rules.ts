/** When a token counts as due for refresh, and how long to wait after failures. */
export interface RefreshPolicy {
  refreshThresholdPercent: number;
  refreshMinSeconds: number;
  clockSkewSeconds: number;
}

/**
 * True once less than the threshold of the token's lifetime is left (default 10%, at least 60 s), counting
 * the allowed clock skew as already gone, so a token is never used while OMRON may consider it expired.
 */
export function isRefreshDue(expiresAt: Date, lifetimeSeconds: number, policy: RefreshPolicy, now: Date): boolean {
  const thresholdSeconds = Math.max(policy.refreshMinSeconds, (lifetimeSeconds * policy.refreshThresholdPercent) / 100);
  return expiresAt.getTime() - now.getTime() <= (thresholdSeconds + policy.clockSkewSeconds) * 1000;
}

/** True while OMRON may still accept the token, with the clock skew allowed for. */
export function isStillValid(expiresAt: Date, policy: RefreshPolicy, now: Date): boolean {
  return expiresAt.getTime() - now.getTime() > policy.clockSkewSeconds * 1000;
}

/** Exponential backoff with full jitter: a random delay up to min(cap, base·2^attempt). */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
