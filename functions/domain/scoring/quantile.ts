/** Linear-interpolation quantile (type 7, numpy default) of a sorted array; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

/** Finite values of `values`, sorted ascending, as a new typed array. Throws if a value is not finite. */
export function sortedFinite(values: ArrayLike<number>, what: string): Float64Array {
  const a = Float64Array.from(values);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`${what}: value #${i} is not a finite number`);
  }
  return a.sort();
}
