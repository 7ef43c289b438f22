import { funnelStage, staleCutoff } from './enrollment-funnel.rules.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T10:00:00Z');

describe('enrollment funnel rules', () => {
  const cutoff = staleCutoff(7, NOW);
  const consented = (lastReadingDaysAgo: number | null) => ({
    status: 'consented' as const,
    lastReadingAt: lastReadingDaysAgo === null ? null : new Date(NOW - lastReadingDaysAgo * DAY),
  });

  it('puts the stale cutoff STALE_AFTER_DAYS before now', () => {
    expect(cutoff.toISOString()).toBe('2026-11-16T10:00:00.000Z');
  });

  it('counts a consented participant as receiving while readings arrive, and stale once they stop', () => {
    expect(funnelStage(consented(0), cutoff)).toBe('receiving');
    expect(funnelStage(consented(7 - 1 / 24), cutoff)).toBe('receiving');
    expect(funnelStage(consented(7), cutoff)).toBe('receiving');
    expect(funnelStage(consented(7 + 1 / 24), cutoff)).toBe('stale');
  });

  it('keeps a consented participant who never sent a reading at consented, however long ago they consented', () => {
    expect(funnelStage(consented(null), cutoff)).toBe('consented');
  });

  it('takes the other stages from the status, whatever the readings', () => {
    for (const status of ['invited', 'link_opened', 'withdrawn'] as const) {
      expect(funnelStage({ status, lastReadingAt: new Date(NOW - 30 * DAY) }, cutoff)).toBe(status);
      expect(funnelStage({ status, lastReadingAt: new Date(NOW) }, cutoff)).toBe(status);
    }
  });
});
