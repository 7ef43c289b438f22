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

/**
 * A 95 % interval of the overhead of `derived` over `baseline`, `sum(derived) / sum(baseline) - 1`, from paired
 * samples (the i-th of each measured in the same turn, so a stretch when the machine is slow moves both), by the
 * percentile bootstrap: the pairs drawn again with replacement `resamples` times. A fixed-seed generator, so the
 * same samples always give the same interval.
 */
export function pairedOverheadInterval(baseline: readonly number[], derived: readonly number[], resamples = 2000): [number, number] {
  if (baseline.length !== derived.length || baseline.length === 0) throw new Error('pairedOverheadInterval needs pairs');
  // mulberry32: small, fast and good enough for resampling.
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const overheads: number[] = [];
  for (let round = 0; round < resamples; round++) {
    let sumBaseline = 0;
    let sumDerived = 0;
    for (let drawn = 0; drawn < baseline.length; drawn++) {
      const index = Math.floor(random() * baseline.length);
      sumBaseline += baseline[index];
      sumDerived += derived[index];
    }
    overheads.push(sumDerived / sumBaseline - 1);
  }
  overheads.sort((a, b) => a - b);
  return [percentile(overheads, 2.5), percentile(overheads, 97.5)];
}

/** Student's t for a two-sided 95 % interval, by degrees of freedom 1–30 (from any t table); 1.96 beyond. */
const T_95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The mean of `values` (at least two: figures of separate runs) and its 95 % interval by Student's t. */
export function meanInterval(values: readonly number[]): [mean: number, low: number, high: number] {
  if (values.length < 2) throw new Error('meanInterval needs two values or more');
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  const half = (T_95[values.length - 2] ?? 1.96) * Math.sqrt(variance / values.length);
  return [mean, mean - half, mean + half];
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
