// Welch's interval for a difference of two means with unequal variances (Welch 1947), with the
// Welch–Satterthwaite degrees of freedom. Revenue per customer is heavily skewed (most customers
// buy nothing), so the two arms' variances differ and the pooled-variance t interval would be wrong.
import { checkConfidence, studentTQuantile } from './distributions.js';

/** Sufficient statistics of one sample. */
export interface SampleMoments {
  n: number;
  mean: number;
  /** The unbiased sample variance (divisor n − 1). */
  variance: number;
}

export interface WelchInterval {
  /** mean1 − mean2 */
  estimate: number;
  low: number;
  high: number;
  standardError: number;
  /** Welch–Satterthwaite degrees of freedom; null when both variances are 0 (the interval is a point). */
  df: number | null;
}

/** Mean and unbiased variance from n, Σx and Σx² (the form the report's aggregates come in). */
export function momentsFromSums(n: number, sum: number, sumSquares: number): SampleMoments {
  if (!Number.isInteger(n) || n < 2)
    throw new RangeError(`momentsFromSums: n must be an integer >= 2, got ${n}`);
  const mean = sum / n;
  // Σx² − (Σx)²/n can round to a tiny negative number when every value is equal.
  const variance = Math.max(0, (sumSquares - sum * mean) / (n - 1));
  return { n, mean, variance };
}

export function welchInterval(a: SampleMoments, b: SampleMoments, confidence = 0.95): WelchInterval {
  checkConfidence(confidence);
  for (const [name, s] of [
    ['first', a],
    ['second', b],
  ] as const) {
    if (!Number.isInteger(s.n) || s.n < 2) {
      throw new RangeError(
        `welchInterval: the ${name} sample needs n >= 2 to estimate a variance, got ${s.n}`,
      );
    }
    if (!Number.isFinite(s.mean) || !(s.variance >= 0) || !Number.isFinite(s.variance)) {
      throw new RangeError(`welchInterval: the ${name} sample needs a finite mean and variance >= 0`);
    }
  }
  const estimate = a.mean - b.mean;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const v = va + vb;
  if (v === 0) return { estimate, low: estimate, high: estimate, standardError: 0, df: null };
  const df = (v * v) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const se = Math.sqrt(v);
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { estimate, low: estimate - t * se, high: estimate + t * se, standardError: se, df };
}
