import { parseRetryAfter } from './omron-oauth-client.js';

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it.each([
    ['7', 7000],
    [' 120 ', 120_000],
    ['Mon, 23 Nov 2026 10:00:30 GMT', 30_000],
    ['Mon, 23 Nov 2026 09:59:00 GMT', 0],
    [null, undefined],
    ['soon', undefined],
  ])('reads %p as %p ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});
