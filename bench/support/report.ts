import { performance } from 'node:perf_hooks';

/** Runs `work` once and returns its wall-clock duration in seconds alongside its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: (performance.now() - started) / 1000, result };
}

/** The `p`-th percentile of ascending `sorted` values, by nearest rank; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One measured figure: `count` items (readings, rows, requests…) handled in `seconds`. */
export interface Figure {
  label: string;
  count: number;
  seconds: number;
}

/**
 * Prints a figure next to the baseline measured in the same run, and their ratio, e.g.
 * `sync backfill  120,000 readings  2.41 s  49,793/s  | COPY  0.52 s  230,769/s  | 0.22× baseline`.
 */
export function printComparison(unit: string, subject: Figure, baseline: Figure): void {
  const rate = (figure: Figure) => figure.count / figure.seconds;
  const line = (figure: Figure) =>
    `${figure.label}: ${figure.count.toLocaleString('en-US')} ${unit} in ${figure.seconds.toFixed(2)} s = ${Math.round(rate(figure)).toLocaleString('en-US')} ${unit}/s`;
  console.log(line(subject));
  console.log(line(baseline));
  console.log(`ratio: ${(rate(subject) / rate(baseline)).toFixed(2)}× the baseline's rate`);
}
