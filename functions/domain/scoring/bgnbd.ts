// BG/NBD model (Fader, Hardie & Lee 2005), lifetimes conventions.
import { KeyIndex } from './keyindex.js';
import { minimizeBfgs } from './optimize.js';
import { digamma, expit, expm1Ratio, lbeta, lgamma } from './special.js';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit extends BgNbdParams {
  /** Log-likelihood of the data at the fitted parameters (without the penalty). */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

/** Customers grouped by identical (frequency, recency, T), with weights. */
export interface BgNbdStats {
  /** Number of distinct (x, t_x, T) triples. */
  size: number;
  /** Total weight (number of customers). */
  customers: number;
  weight: Float64Array;
  /** Index of each triple's x / t_x / T in the distinct-value tables below. */
  xId: Int32Array;
  txId: Int32Array;
  tId: Int32Array;
  xs: Float64Array;
  txs: Float64Array;
  ts: Float64Array;
  /** Total weight per distinct x. */
  xWeight: Float64Array;
}

/** Throws on data the model cannot take: x a non-negative integer, 0 <= t_x <= T, finite. */
export function validateBgNbdRow(x: number, tx: number, T: number): string | null {
  if (!Number.isInteger(x) || x < 0) return `frequency must be a non-negative integer (got ${x})`;
  if (!Number.isFinite(T) || T < 0) return `T must be finite and >= 0 (got ${T})`;
  if (!Number.isFinite(tx) || tx < 0) return `recency must be finite and >= 0 (got ${tx})`;
  if (tx > T) return `recency (${tx}) must not exceed T (${T})`;
  if (x === 0 && tx !== 0) return `recency must be 0 when frequency is 0 (got ${tx})`;
  return null;
}

/** Groups customers into sufficient statistics. Throws on an invalid row (with its index). */
export function bgnbdStats(
  frequency: ArrayLike<number>,
  recency: ArrayLike<number>,
  T: ArrayLike<number>,
  weights?: ArrayLike<number>,
): BgNbdStats {
  const n = frequency.length;
  if (recency.length !== n || T.length !== n)
    throw new Error('frequency, recency and T must have equal length');
  const triples = new KeyIndex(3, Math.min(n, 1 << 16));
  let w = new Float64Array(Math.min(n, 1 << 16));
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = frequency[i] as number;
    const tx = recency[i] as number;
    const t = T[i] as number;
    const err = validateBgNbdRow(x, tx, t);
    if (err) throw new Error(`customer #${i}: ${err}`);
    const wi = weights ? (weights[i] as number) : 1;
    if (!(wi >= 0) || !Number.isFinite(wi)) throw new Error(`customer #${i}: weight must be finite and >= 0`);
    const id = triples.add(x, tx, t);
    if (id >= w.length) {
      const g = new Float64Array(w.length * 2);
      g.set(w);
      w = g;
    }
    w[id] = (w[id] as number) + wi;
    total += wi;
  }
  const size = triples.size;
  const xIdx = new KeyIndex(1, 256);
  const txIdx = new KeyIndex(1, 4096);
  const tIdx = new KeyIndex(1, 4096);
  const xId = new Int32Array(size);
  const txId = new Int32Array(size);
  const tId = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    xId[k] = xIdx.add(triples.key(k, 0));
    txId[k] = txIdx.add(triples.key(k, 1));
    tId[k] = tIdx.add(triples.key(k, 2));
  }
  const xWeight = new Float64Array(xIdx.size);
  for (let k = 0; k < size; k++)
    xWeight[xId[k] as number] = (xWeight[xId[k] as number] as number) + (w[k] as number);
  return {
    size,
    customers: total,
    weight: w.slice(0, size),
    xId,
    txId,
    tId,
    xs: xIdx.keys.slice(0, xIdx.size),
    txs: txIdx.keys.slice(0, txIdx.size),
    ts: tIdx.keys.slice(0, tIdx.size),
    xWeight,
  };
}

/**
 * Log-likelihood Σ w·ln L(r, α, a, b | x, t_x, T); when `grad` is given, writes ∂LL/∂(r, α, a, b) into it.
 * Work per call: O(distinct x + distinct t_x + distinct T) logs, plus one exp and one log1p per distinct triple.
 */
export function bgnbdLogLikelihood(params: BgNbdParams, stats: BgNbdStats, grad?: Float64Array): number {
  const { r, alpha, a, b } = params;
  const nx = stats.xs.length;
  const cx = new Float64Array(nx);
  const d4 = new Float64Array(nx);
  const lnA = Math.log(alpha);
  const lgR = lgamma(r);
  const lgAB = lgamma(a + b);
  const lgB = lgamma(b);
  const lnAp = Math.log(a);
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  const psiR = grad ? digamma(r) : 0;
  const psiAB = grad ? digamma(a + b) : 0;
  const psiB = grad ? digamma(b) : 0;
  for (let k = 0; k < nx; k++) {
    const x = stats.xs[k] as number;
    const w = stats.xWeight[k] as number;
    const c =
      x === 0 ? r * lnA : lgamma(r + x) - lgR + r * lnA + lgAB + lgamma(b + x) - lgB - lgamma(a + b + x);
    cx[k] = c;
    d4[k] = x > 0 ? lnAp - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY;
    ll += w * c;
    if (grad && x > 0) {
      const psiABx = digamma(a + b + x);
      gr += w * (digamma(r + x) - psiR + lnA);
      ga += w * (psiAB - psiABx);
      gb += w * (psiAB + digamma(b + x) - psiB - psiABx);
    } else if (grad) {
      gr += w * lnA;
    }
    if (grad) gAlpha += (w * r) / alpha;
  }
  const lt = new Float64Array(stats.ts.length);
  const it = new Float64Array(stats.ts.length);
  for (let k = 0; k < lt.length; k++) {
    const v = alpha + (stats.ts[k] as number);
    lt[k] = Math.log(v);
    it[k] = 1 / v;
  }
  const ltx = new Float64Array(stats.txs.length);
  const itx = new Float64Array(stats.txs.length);
  for (let k = 0; k < ltx.length; k++) {
    const v = alpha + (stats.txs[k] as number);
    ltx[k] = Math.log(v);
    itx[k] = 1 / v;
  }
  const { weight, xId, txId, tId, xs } = stats;
  for (let k = 0; k < stats.size; k++) {
    const xi = xId[k] as number;
    const ti = tId[k] as number;
    const x = xs[xi] as number;
    const w = weight[k] as number;
    const rx = r + x;
    const a3 = -rx * (lt[ti] as number);
    if (x === 0) {
      ll += w * a3;
      if (grad) {
        gr -= w * (lt[ti] as number);
        gAlpha -= w * rx * (it[ti] as number);
      }
      continue;
    }
    const txi = txId[k] as number;
    const a4 = (d4[xi] as number) - rx * (ltx[txi] as number);
    let s: number; // weight of the A4 branch, σ(A4 - A3)
    if (a4 > a3) {
      const e = Math.exp(a3 - a4);
      ll += w * (a4 + Math.log1p(e));
      s = 1 / (1 + e);
    } else {
      const e = Math.exp(a4 - a3);
      ll += w * (a3 + Math.log1p(e));
      s = e / (1 + e);
    }
    if (grad) {
      const s3 = 1 - s;
      gr -= w * (s3 * (lt[ti] as number) + s * (ltx[txi] as number));
      gAlpha -= w * rx * (s3 * (it[ti] as number) + s * (itx[txi] as number));
      ga += (w * s) / a;
      gb -= (w * s) / (b + x - 1);
    }
  }
  if (grad) {
    grad[0] = gr;
    grad[1] = gAlpha;
    grad[2] = ga;
    grad[3] = gb;
  }
  return ll;
}

export interface FitOptions {
  /** L2 penalty on the parameters, as lifetimes: mean NLL + penalizer · Σ θ². */
  penalizer?: number;
  initial?: BgNbdParams;
}

/** Maximum-likelihood fit over log-parameters with BFGS and the analytic gradient. */
export function fitBgNbd(stats: BgNbdStats, options: FitOptions = {}): BgNbdFit {
  const penalizer = options.penalizer ?? 0;
  if (!(penalizer >= 0)) throw new Error('penalizer must be >= 0');
  if (stats.customers <= 0) throw new Error('cannot fit BG/NBD on zero customers');
  const W = stats.customers;
  const g = new Float64Array(4);
  const p: BgNbdParams = { r: 1, alpha: 1, a: 1, b: 1 };
  const objective = (lp: Float64Array, grad: Float64Array): number => {
    p.r = Math.exp(lp[0] as number);
    p.alpha = Math.exp(lp[1] as number);
    p.a = Math.exp(lp[2] as number);
    p.b = Math.exp(lp[3] as number);
    const ll = bgnbdLogLikelihood(p, stats, g);
    const th = [p.r, p.alpha, p.a, p.b];
    let pen = 0;
    for (let k = 0; k < 4; k++) {
      const t = th[k] as number;
      pen += t * t;
      grad[k] = t * (-(g[k] as number) / W + 2 * penalizer * t);
    }
    return -ll / W + penalizer * pen;
  };
  let meanT = 0;
  for (let k = 0; k < stats.size; k++)
    meanT += (stats.weight[k] as number) * (stats.ts[stats.tId[k] as number] as number);
  meanT /= W;
  const init = options.initial ?? { r: 1, alpha: Math.max(1e-3, meanT), a: 1, b: 1 };
  const res = minimizeBfgs(objective, [init.r, init.alpha, init.a, init.b].map(Math.log), {
    gradTol: 1e-10,
    maxIterations: 1000,
  });
  const fit: BgNbdParams = {
    r: Math.exp(res.x[0] as number),
    alpha: Math.exp(res.x[1] as number),
    a: Math.exp(res.x[2] as number),
    b: Math.exp(res.x[3] as number),
  };
  const logLikelihood = bgnbdLogLikelihood(fit, stats);
  for (const v of [fit.r, fit.alpha, fit.a, fit.b, logLikelihood]) {
    if (!Number.isFinite(v) || v === 0) throw new Error(`BG/NBD fit failed (${res.message})`);
  }
  return { ...fit, logLikelihood, iterations: res.iterations, converged: res.converged };
}

/** P(alive | x, t_x, T). 1 when x = 0 (lifetimes convention: no repeat purchase, no death yet). */
export function bgnbdPAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  return expit(-bgnbdLogOdds(p, x, tx, T));
}

/** ln[(a/(b+x-1)) · ((α+T)/(α+t_x))^(r+x)], the log of the "dead" odds; x > 0. */
export function bgnbdLogOdds(p: BgNbdParams, x: number, tx: number, T: number): number {
  return (p.r + x) * Math.log1p((T - tx) / (p.alpha + tx)) + Math.log(p.a / (p.b + x - 1));
}

const SERIES_MAX_TERMS = 200_000;

/**
 * Numerator of the conditional expectation E[X(t) | x, t_x, T] (everything except the
 * 1/(1 + odds) = P(alive) factor): (a+b+x-1)/(a-1) · [1 - 2F1(r+x, b+x; a+b+x-1; z) · (1-z)^(r+x)],
 * z = t/(α+T+t). Evaluated through Euler's transformation
 *   2F1(r+x, b+x; c; z) = (1-z)^(a-1-r-x) · 2F1(a+b-1-r, a-1; c; z),  c = a+b+x-1,
 * whose series has bounded parameters (no huge terms at large x), and with ε = a-1,
 * 2F1(·, ε; c; z) = 1 + ε·S, so the bracket over ε is  -expm1(ε L)/ε - e^(ε L)·S  with L = ln(1-z):
 * finite and continuous through a = 1. Returns NaN if the series does not converge or too many
 * digits cancel (condition number > 1e6).
 */
export function bgnbdConditionalNumerator(p: BgNbdParams, x: number, T: number, t: number): number {
  if (t === 0) return 0;
  const eps = p.a - 1;
  const c = p.a + p.b + x - 1;
  const A = p.a + p.b - 1 - p.r;
  const u = t / (p.alpha + T);
  const L = -Math.log1p(u);
  const z = u / (1 + u);
  let term = (A / c) * z;
  let S = term;
  let sumAbs = Math.abs(term);
  let k = 1;
  for (; k < SERIES_MAX_TERMS; k++) {
    term *= (((A + k) * (eps + k)) / ((c + k) * (k + 1))) * z;
    S += term;
    sumAbs += Math.abs(term);
    if (Math.abs(term) <= 1e-17 * Math.abs(S) || term === 0) break;
  }
  if (k >= SERIES_MAX_TERMS) return Number.NaN;
  const t1 = -expm1Ratio(eps, L);
  const e = Math.exp(eps * L);
  const bracket = t1 - e * S;
  // Condition number of the sums: with parameters such as a + b < 1 and z near 1 the series
  // alternates with huge terms; refuse (NaN → error result) rather than return lost digits.
  if (!(bracket >= 0) || Math.abs(t1) + e * sumAbs > 1e6 * bracket) return bracket === 0 ? 0 : Number.NaN;
  return c * bracket;
}

/** E[X(t) | x, t_x, T]: expected repeat purchases in (T, T+t]. */
export function bgnbdConditionalExpectedPurchases(
  p: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  return bgnbdConditionalNumerator(p, x, T, t) * bgnbdPAlive(p, x, tx, T);
}

/** Unconditional E[X(t)] for a customer just acquired (= conditional with x = 0, T = 0). */
export function bgnbdExpectedPurchases(p: BgNbdParams, t: number): number {
  return bgnbdConditionalNumerator(p, 0, 0, t);
}

/** P(X(t) = n) for a customer just acquired (Fader, Hardie & Lee 2005, eq. 8). */
export function bgnbdProbabilityOfPurchases(p: BgNbdParams, t: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new Error('n must be a non-negative integer');
  const { r, alpha, a, b } = p;
  const lBab = lbeta(a, b);
  const lq = Math.log(alpha / (alpha + t));
  const lz = Math.log(t / (alpha + t));
  const lgr = lgamma(r);
  const first = Math.exp(
    lbeta(a, b + n) - lBab + lgamma(r + n) - lgr - lgamma(n + 1) + r * lq + (n > 0 ? n * lz : 0),
  );
  if (n === 0) return first;
  // Σ_{j<n} Γ(r+j)/(Γ(r) j!) · (t/(α+t))^j, by term recursion.
  let termJ = 1;
  let sum = 1;
  const zt = t / (alpha + t);
  for (let j = 1; j < n; j++) {
    termJ *= ((r + j - 1) / j) * zt;
    sum += termJ;
  }
  // Negative-binomial tail P(N >= n) = 1 - head; summed directly when the head is close to 1 (no cancellation).
  let tail = -Math.expm1(r * lq + Math.log(sum));
  if (tail < 1e-3) {
    let term = Math.exp(lgamma(r + n) - lgr - lgamma(n + 1) + r * lq + n * lz);
    tail = 0;
    for (let j = n; j < n + 100_000 && term > 1e-300; j++) {
      tail += term;
      if (term < 1e-17 * tail) break;
      term *= ((r + j) / (j + 1)) * zt;
    }
  }
  return first + Math.exp(lbeta(a + 1, b + n - 1) - lBab) * tail;
}
