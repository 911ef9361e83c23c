// The Wilson score interval for one proportion (Wilson 1927; Newcombe 1998a, method 3).
// Chosen over the Wald interval because it stays inside [0, 1] and keeps its coverage near 0 and 1,
// where conversion rates of retention email live.

export interface ProportionInterval {
  low: number;
  high: number;
}

/** Wilson score interval for x successes out of n > 0 trials, with critical value z (1.96 for 95 %). */
export function wilsonInterval(x: number, n: number, z: number): ProportionInterval {
  if (!Number.isInteger(n) || n <= 0)
    throw new RangeError(`wilsonInterval: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(x) || x < 0 || x > n) {
    throw new RangeError(`wilsonInterval: x must be an integer in [0, n=${n}], got ${x}`);
  }
  if (!(z > 0) || !Number.isFinite(z))
    throw new RangeError(`wilsonInterval: z must be positive and finite, got ${z}`);
  const z2 = z * z;
  const denominator = n + z2;
  const centre = (x + z2 / 2) / denominator;
  const half = (z / denominator) * Math.sqrt((x * (n - x)) / n + z2 / 4);
  // At x = 0 and x = n the bound is exactly 0 or 1; rounding would otherwise leave a ±1e-17.
  return {
    low: x === 0 ? 0 : Math.max(0, centre - half),
    high: x === n ? 1 : Math.min(1, centre + half),
  };
}
