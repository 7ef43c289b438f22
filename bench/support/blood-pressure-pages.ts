/** Readings on a page, as the sync requests them from OMRON in the write benchmarks. */
export const PAGE_SIZE = 1000;

/**
 * `count` pages of one participant's blood-pressure readings as normalise.rules.ts makes them, upstream IDs from
 * `first`, ten minutes apart in Tokyo. Systolic runs 100 to 100 + `systolicSpread` − 1 (60: never at the
 * crisis line of 180; 90: about 1 in 9 at or over it); every `afibEvery`-th reading is flagged possible AFib (0: none).
 */
export function bloodPressurePages(
  first: number,
  count: number,
  { systolicSpread = 60, afibEvery = 97 }: { systolicSpread?: number; afibEvery?: number } = {},
): Record<string, unknown>[][] {
  const start = Date.UTC(2020, 0, 1);
  return Array.from({ length: count }, (_, page) =>
    Array.from({ length: PAGE_SIZE }, (_, index) => {
      const n = first + page * PAGE_SIZE + index;
      const at = new Date(start + n * 600_000);
      return {
        upstream_id: String(n),
        measured_at: at.toISOString(),
        local_time: new Date(at.getTime() + 32_400_000).toISOString().slice(0, 19),
        utc_offset_seconds: 32_400,
        device_type: 'OMRON HEM-7600T',
        systolic_mmhg: 100 + (n % systolicSpread),
        diastolic_mmhg: 60 + (n % 40),
        pulse_bpm: 50 + (n % 50),
        possible_afib: afibEvery > 0 && n % afibEvery === 0,
      };
    }),
  );
}
