import { backoffMs, isRefreshDue, isStillValid } from './refresh-policy.rules.js';

const policy = { refreshThresholdPercent: 10, refreshMinSeconds: 60, clockSkewSeconds: 30 };
const now = new Date('2026-11-23T10:00:00Z');
const inSeconds = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe(isRefreshDue.name, () => {
  it.each([
    // lifetime 3600 s: threshold 360 s + 30 s skew
    [3600, 391, false],
    [3600, 390, true],
    // lifetime 300 s: 10% is 30 s, so the 60 s floor applies, + 30 s skew
    [300, 91, false],
    [300, 90, true],
    [3600, -5, true],
  ])('lifetime %i s with %i s left → %s', (lifetime, left, due) => {
    expect(isRefreshDue(inSeconds(left), lifetime, policy, now)).toBe(due);
  });
});

describe(isStillValid.name, () => {
  it('treats a token as expired once less than the clock skew remains', () => {
    expect(isStillValid(inSeconds(31), policy, now)).toBe(true);
    expect(isStillValid(inSeconds(30), policy, now)).toBe(false);
  });
});

describe(backoffMs.name, () => {
  it('grows exponentially up to the cap, jittered over the whole range', () => {
    expect(backoffMs(0, 500, 10_000, () => 0.999)).toBe(499);
    expect(backoffMs(3, 500, 10_000, () => 0.999)).toBe(3996);
    expect(backoffMs(10, 500, 10_000, () => 0.999)).toBe(9990);
    expect(backoffMs(10, 500, 10_000, () => 0)).toBe(0);
  });
});
