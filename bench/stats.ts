/** Small, pure statistics over samples: the numbers the bench tables print. */

/** Median, extremes and count of a sample set (NaN everywhere when empty). */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** The `p`-th percentile (0..100) by linear interpolation between closest ranks. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Median, min, max and n of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  return {
    n: samples.length,
    median: percentile(samples, 50),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** Rounds to `digits` decimals, keeping NaN (printed as "n/a"). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
