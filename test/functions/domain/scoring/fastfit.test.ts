// The fast paths of the fits (grouped/tabulated likelihood, subsample start, approximate Wolfe line
// search) must give the same likelihood and the same MLE as the plain formulas.
import { describe, expect, it } from 'vitest';
import { Random } from '../../../../cli/seed/random.js';
import {
  type BgNbdParams,
  bgnbdLogLikelihood,
  bgnbdStats,
  fitBgNbd,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  gammaGammaStats,
  lgamma,
  logAddExp,
  minimizeBfgs,
} from '../../../../functions/domain/scoring/index.js';

/**
 * BG/NBD-like customers on integer days (exponential gaps, death after a purchase with prob. p),
 * with heterogeneous rates so that x ranges over dozens of values; Gamma-Gamma spend.
 */
function synthetic(n: number, seed: number) {
  const random = new Random(seed);
  const u = () => random.next();
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const age = 1 + Math.floor(u() * 400);
    const rate = (-Math.log(1 - u()) * -Math.log(1 - u())) / 25;
    const p = 0.02 + 0.4 * u() * u();
    let t = 0;
    let k = 0;
    let last = 0;
    for (;;) {
      t += -Math.log(1 - u()) / rate;
      const day = Math.floor(t);
      if (day > age) break;
      if (day > last) {
        k++;
        last = day;
      }
      if (u() < p) break;
    }
    x[i] = k;
    tx[i] = k > 0 ? last : 0;
    T[i] = age;
    // Gamma-Gamma spend (p = 4, q = 3, v = 10, integer shapes as sums of exponentials):
    // ν ~ Gamma(3, rate 10), each repeat day's spend ~ Gamma(4, rate ν), m = their mean.
    const expo = () => -Math.log(1 - u());
    const nu = (expo() + expo() + expo()) / 10;
    let spend = 0;
    for (let j = 0; j < k; j++) spend += (expo() + expo() + expo() + expo()) / nu;
    m[i] = k > 0 ? spend / k : 0;
  }
  return { x, tx, T, m };
}

/** Per-customer BG/NBD log-likelihood straight from the paper's formula (no grouping, no tables). */
function naiveLogLikelihood(p: BgNbdParams, x: Float64Array, tx: Float64Array, T: Float64Array): number {
  const { r, alpha, a, b } = p;
  let ll = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    const a1 = lgamma(r + xi) - lgamma(r) + r * Math.log(alpha);
    const a2 = lgamma(a + b) + lgamma(b + xi) - lgamma(b) - lgamma(a + b + xi);
    const a3 = -(r + xi) * Math.log(alpha + (T[i] as number));
    const a4 =
      xi > 0
        ? Math.log(a) - Math.log(b + xi - 1) - (r + xi) * Math.log(alpha + (tx[i] as number))
        : Number.NEGATIVE_INFINITY;
    ll += a1 + a2 + logAddExp(a3, a4);
  }
  return ll;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('fast BG/NBD likelihood', () => {
  const d = synthetic(60_000, 11);
  const stats = bgnbdStats(d.x, d.tx, d.T);

  it('uses the tabulated path on this data (large x groups) and matches the per-customer formula', () => {
    const tableMin = 2 * (stats.ts.length + stats.txs.length);
    let large = 0;
    for (let g = 0; g < stats.xs.length; g++)
      if ((stats.groupStart[g + 1] as number) - (stats.groupStart[g] as number) > tableMin) large++;
    expect(large).toBeGreaterThan(0);
    for (const p of [
      { r: 0.25, alpha: 30, a: 0.8, b: 2.5 },
      { r: 2, alpha: 3, a: 0.05, b: 30 },
      { r: 0.05, alpha: 400, a: 5, b: 0.3 },
    ]) {
      expect(rel(bgnbdLogLikelihood(p, stats), naiveLogLikelihood(p, d.x, d.tx, d.T))).toBeLessThan(1e-12);
    }
  });

  it('the analytic gradient matches central differences of the per-customer formula', () => {
    const p = { r: 0.4, alpha: 20, a: 0.6, b: 3 };
    const g = new Float64Array(4);
    bgnbdLogLikelihood(p, stats, g);
    (['r', 'alpha', 'a', 'b'] as const).forEach((k, i) => {
      const h = 1e-5 * p[k];
      const up = naiveLogLikelihood({ ...p, [k]: p[k] + h }, d.x, d.tx, d.T);
      const dn = naiveLogLikelihood({ ...p, [k]: p[k] - h }, d.x, d.tx, d.T);
      expect(rel(g[i] as number, (up - dn) / (2 * h))).toBeLessThan(1e-6);
    });
  });
});

describe('fits with the subsample start reach the same MLE', () => {
  const d = synthetic(150_000, 5);

  it('BG/NBD: subsample start = plain start, gradient at the result ~ 0', () => {
    const stats = bgnbdStats(d.x, d.tx, d.T);
    expect(stats.gW.length).toBeGreaterThan(8000);
    const plain = fitBgNbd(stats, { subsampleSize: 0 });
    const fast = fitBgNbd(stats, { subsampleSize: 4000 });
    expect(plain.converged).toBe(true);
    expect(fast.converged).toBe(true);
    expect(fast.evaluations).toBeLessThan(plain.evaluations);
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(rel(fast[k], plain[k])).toBeLessThan(1e-6);
    expect(Math.abs(fast.logLikelihood - plain.logLikelihood)).toBeLessThan(1e-6);
    // Gradient of the mean log-likelihood w.r.t. the log-parameters at the result.
    const g = new Float64Array(4);
    bgnbdLogLikelihood(fast, stats, g);
    const th = [fast.r, fast.alpha, fast.a, fast.b];
    for (let k = 0; k < 4; k++)
      expect(Math.abs(((g[k] as number) * (th[k] as number)) / stats.customers)).toBeLessThan(1e-9);
  });

  it('BG/NBD with a penalizer: same minimum either way', () => {
    const stats = bgnbdStats(d.x, d.tx, d.T);
    const plain = fitBgNbd(stats, { subsampleSize: 0, penalizer: 0.01 });
    const fast = fitBgNbd(stats, { subsampleSize: 4000, penalizer: 0.01 });
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(rel(fast[k], plain[k])).toBeLessThan(1e-6);
  });

  it('Gamma-Gamma: subsample start = plain start, gradient at the result ~ 0', () => {
    const s = gammaGammaStats(d.x, d.m);
    expect(s.customers).toBeGreaterThan(8000);
    const plain = fitGammaGamma(s, { subsampleSize: 0 });
    const fast = fitGammaGamma(s, { subsampleSize: 4000 });
    expect(plain.converged).toBe(true);
    expect(fast.converged).toBe(true);
    for (const k of ['p', 'q', 'v'] as const) expect(rel(fast[k], plain[k])).toBeLessThan(1e-6);
    const g = new Float64Array(3);
    gammaGammaLogLikelihood(fast, s, g);
    const th = [fast.p, fast.q, fast.v];
    for (let k = 0; k < 3; k++)
      expect(Math.abs(((g[k] as number) * (th[k] as number)) / s.customers)).toBeLessThan(1e-9);
  });
});

describe('minimizeBfgs', () => {
  it('converges on Rosenbrock to the gradient tolerance, also from a supplied inverse Hessian', () => {
    const rosen = (x: Float64Array, g: Float64Array) => {
      const a = x[0] as number;
      const b = x[1] as number;
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const r1 = minimizeBfgs(rosen, [-1.2, 1], { gradTol: 1e-10 });
    expect(r1.converged).toBe(true);
    expect(Math.abs((r1.x[0] as number) - 1)).toBeLessThan(1e-8);
    const r2 = minimizeBfgs(rosen, [0.9, 0.8], { gradTol: 1e-10, inverseHessian: r1.inverseHessian });
    expect(r2.converged).toBe(true);
    expect(Math.abs((r2.x[1] as number) - 1)).toBeLessThan(1e-8);
  });
});
