// The classical sample size per group for comparing two proportions: two-sided test, normal
// approximation, no continuity correction (Fleiss, Levin & Paik, Statistical Methods for Rates and
// Proportions, ch. 4; the formula R's power.prop.test inverts):
//   n = ( z_{1−α/2} √(2 p̄ q̄) + z_{1−β} √(p1 q1 + p2 q2) )² / (p1 − p2)²,  p̄ = (p1 + p2)/2.
import { normalQuantile } from './distributions.js';

export interface PowerOptions {
  /** Two-sided significance level; default 0.05. */
  alpha?: number;
  /** Probability of detecting the effect; default 0.8. */
  power?: number;
}

/** Customers needed in each group (unrounded) to detect p1 vs p2. */
export function sampleSizePerGroup(p1: number, p2: number, options: PowerOptions = {}): number {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`sampleSizePerGroup: alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1))
    throw new RangeError(`sampleSizePerGroup: power must be in (0, 1), got ${power}`);
  for (const p of [p1, p2]) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`sampleSizePerGroup: rates must be in [0, 1], got ${p}`);
  }
  if (p1 === p2)
    throw new RangeError('sampleSizePerGroup: the two rates are equal; no sample size detects a zero effect');
  const pBar = (p1 + p2) / 2;
  const zAlpha = normalQuantile(1 - alpha / 2);
  const zBeta = normalQuantile(power);
  const root = zAlpha * Math.sqrt(2 * pBar * (1 - pBar)) + zBeta * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return (root * root) / ((p1 - p2) * (p1 - p2));
}
