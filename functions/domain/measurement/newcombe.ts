// Newcombe's hybrid score interval for a difference of two independent proportions
// (Newcombe 1998, Stat Med 17:873–890, method 10): it combines the two Wilson intervals, needs no
// iteration, and keeps near-nominal coverage for small groups and rates near 0, unlike Wald.
import { wilsonInterval } from './wilson.js';

export interface DifferenceInterval {
  /** p1 − p2 */
  estimate: number;
  low: number;
  high: number;
}

/** Interval for x1/n1 − x2/n2 (both n > 0) with critical value z. */
export function newcombeInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  z: number,
): DifferenceInterval {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilsonInterval(x1, n1, z);
  const w2 = wilsonInterval(x2, n2, z);
  const estimate = p1 - p2;
  const low = estimate - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2);
  const high = estimate + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2);
  return { estimate, low: Math.max(-1, low), high: Math.min(1, high) };
}
