// BG/NBD model (Fader, Hardie & Lee 2005), lifetimes conventions.
import { KeyIndex } from './keyindex.js';
import { minimizeBfgs, warmStartFromSubsample } from './optimize.js';
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
  /** Objective evaluations of the full-data fit (value and gradient each). */
  evaluations: number;
  converged: boolean;
  /** The optimiser's inverse-Hessian approximation of the mean objective over log-parameters. */
  inverseHessian?: Float64Array | undefined;
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
  /** Weight of the x = 0 customers per distinct T (their likelihood depends on T only). */
  zeroWeight: Float64Array;
  /**
   * The x > 0 triples ordered by x: group g (distinct x id g) is the range
   * [groupStart[g], groupStart[g + 1]) of `gT` (T id), `gTx` (t_x id) and `gW` (weight).
   */
  groupStart: Int32Array;
  gT: Int32Array;
  gTx: Int32Array;
  gW: Float64Array;
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
  const weight = w.slice(0, size);
  return {
    size,
    customers: total,
    weight,
    xId,
    txId,
    tId,
    ...layout(xIdx.keys.slice(0, xIdx.size), weight, xId, txId, tId, tIdx.size),
    txs: txIdx.keys.slice(0, txIdx.size),
    ts: tIdx.keys.slice(0, tIdx.size),
  };
}

/** Per-x totals, the x = 0 weights per T, and the x > 0 triples ordered by x (counting sort). */
function layout(
  xs: Float64Array,
  weight: Float64Array,
  xId: Int32Array,
  txId: Int32Array,
  tId: Int32Array,
  nT: number,
) {
  const nx = xs.length;
  const size = weight.length;
  const xWeight = new Float64Array(nx);
  const zeroWeight = new Float64Array(nT);
  const groupStart = new Int32Array(nx + 1);
  for (let k = 0; k < size; k++) {
    const xi = xId[k] as number;
    const wk = weight[k] as number;
    xWeight[xi] = (xWeight[xi] as number) + wk;
    if (xs[xi] === 0) {
      const ti = tId[k] as number;
      zeroWeight[ti] = (zeroWeight[ti] as number) + wk;
    } else groupStart[xi + 1] = (groupStart[xi + 1] as number) + 1;
  }
  for (let g = 0; g < nx; g++) groupStart[g + 1] = (groupStart[g + 1] as number) + (groupStart[g] as number);
  const m = groupStart[nx] as number;
  const gT = new Int32Array(m);
  const gTx = new Int32Array(m);
  const gW = new Float64Array(m);
  const fill = groupStart.slice(0, nx);
  for (let k = 0; k < size; k++) {
    const xi = xId[k] as number;
    if (xs[xi] === 0) continue;
    const j = fill[xi] as number;
    fill[xi] = j + 1;
    gT[j] = tId[k] as number;
    gTx[j] = txId[k] as number;
    gW[j] = weight[k] as number;
  }
  return { xs, xWeight, zeroWeight, groupStart, gT, gTx, gW };
}

/**
 * Log-likelihood Σ w·ln L(r, α, a, b | x, t_x, T); when `grad` is given, writes ∂LL/∂(r, α, a, b) into it.
 * Value and gradient come from one pass. Work per call: lgamma/digamma per distinct x, one log per distinct
 * T and t_x, then per distinct x > 0 triple one `exp` and one division (the log1p of the log-sum-exp is
 * taken as a running product of the (1 + e) factors of unit-weight triples, one log per 512 of them).
 */
export function bgnbdLogLikelihood(params: BgNbdParams, stats: LikelihoodData, grad?: Float64Array): number {
  const { r, alpha, a, b } = params;
  const { xs, xWeight, zeroWeight, groupStart, gT, gTx, gW } = stats;
  const nx = xs.length;
  const lnA = Math.log(alpha);
  const lgR = lgamma(r);
  const lgAB = lgamma(a + b);
  const lgB = lgamma(b);
  const lnAp = Math.log(a);
  const wantGrad = grad !== undefined;
  const psiR = wantGrad ? digamma(r) : 0;
  const psiAB = wantGrad ? digamma(a + b) : 0;
  const psiB = wantGrad ? digamma(b) : 0;
  const nT = stats.ts.length;
  const nTx = stats.txs.length;
  const lt = new Float64Array(nT);
  const it = new Float64Array(nT);
  for (let k = 0; k < nT; k++) {
    const v = alpha + (stats.ts[k] as number);
    lt[k] = Math.log(v);
    it[k] = 1 / v;
  }
  const ltx = new Float64Array(nTx);
  const itx = new Float64Array(nTx);
  for (let k = 0; k < nTx; k++) {
    const v = alpha + (stats.txs[k] as number);
    ltx[k] = Math.log(v);
    itx[k] = 1 / v;
  }
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  // x = 0: A1 + A2 = r ln α, A3 = -r ln(α+T); the A4 branch is absent.
  let zl = 0;
  let zi = 0;
  for (let k = 0; k < nT; k++) {
    const zw = zeroWeight[k] as number;
    if (zw === 0) continue;
    zl += zw * (lt[k] as number);
    zi += zw * (it[k] as number);
  }
  ll -= r * zl;
  gr -= zl;
  gAlpha -= r * zi;
  let maxT = 0;
  for (let k = 0; k < nT; k++) maxT = Math.max(maxT, stats.ts[k] as number);
  const spanL = Math.log1p(maxT / alpha); // ln(α + max T) - ln α
  const tableMin = 2 * (nT + nTx);
  const P = new Float64Array(nT);
  const Q = new Float64Array(nTx);
  let logProd = 0; // Σ ln(1 + e) of unit-weight triples, accumulated as running products (each factor <= 2 or < 1e151)
  let prod = 1;
  for (let xi = 0; xi < nx; xi++) {
    const x = xs[xi] as number;
    const wx = xWeight[xi] as number;
    if (x === 0) {
      ll += wx * r * lnA;
      gr += wx * lnA;
      gAlpha += (wx * r) / alpha;
      continue;
    }
    ll += wx * (lgamma(r + x) - lgR + r * lnA + lgAB + lgamma(b + x) - lgB - lgamma(a + b + x));
    if (wantGrad) {
      const psiABx = digamma(a + b + x);
      gr += wx * (digamma(r + x) - psiR + lnA);
      gAlpha += (wx * r) / alpha;
      ga += wx * (psiAB - psiABx);
      gb += wx * (psiAB + digamma(b + x) - psiB - psiABx);
    }
    const rx = r + x;
    const bx = b + x - 1;
    const d4 = lnAp - Math.log(bx);
    // Per triple: A3 = -(r+x) ln(α+T), A4 = d4 - (r+x) ln(α+t_x), ll += ln(e^A3 + e^A4) and
    // s = σ(A4 - A3) is the weight of the A4 branch in the gradient.
    let sumA = 0;
    let sumS = 0;
    let sumL = 0;
    let sumI = 0;
    const start = groupStart[xi] as number;
    const end = groupStart[xi + 1] as number;
    const K = Math.exp(d4);
    if (end - start > tableMin && rx * spanL < 300 && K < 1e20 && K > 1e-280) {
      // Large group: E = e^(A4-A3) = K·P[T]·Q[t_x] with K = a/(b+x-1), P = ((α+T)/α)^(r+x) ∈ [1, e^300],
      // Q = (α/(α+t_x))^(r+x) ∈ [e^-300, 1]: one exp per distinct T and t_x instead of one per triple,
      // and ln(e^A3 + e^A4) = A3 + ln(1 + E) with E < 1e151 (no overflow in the running product).
      for (let k = 0; k < nT; k++) P[k] = Math.exp(rx * ((lt[k] as number) - lnA));
      for (let k = 0; k < nTx; k++) Q[k] = Math.exp(-rx * ((ltx[k] as number) - lnA));
      let sumW3 = 0;
      for (let k = start; k < end; k++) {
        const w = gW[k] as number;
        const ti = gT[k] as number;
        const txi = gTx[k] as number;
        const L3 = lt[ti] as number;
        const E = K * (P[ti] as number) * (Q[txi] as number);
        const s = E / (1 + E);
        if (w === 1) {
          prod *= 1 + E;
          if (prod > 1e150) {
            logProd += Math.log(prod);
            prod = 1;
          }
        } else {
          sumA += w * Math.log1p(E);
        }
        const ws = w * s;
        sumW3 += w * L3;
        sumS += ws;
        sumL += ws * ((ltx[txi] as number) - L3);
        const I3 = it[ti] as number;
        sumI += w * I3 + ws * ((itx[txi] as number) - I3);
      }
      sumA -= rx * sumW3;
      sumL += sumW3;
    } else {
      for (let k = start; k < end; k++) {
        const w = gW[k] as number;
        const ti = gT[k] as number;
        const txi = gTx[k] as number;
        const L3 = lt[ti] as number;
        const L4 = ltx[txi] as number;
        const diff = d4 + rx * (L3 - L4); // A4 - A3
        let e: number;
        let s: number;
        if (diff > 0) {
          e = Math.exp(-diff);
          s = 1 / (1 + e);
          sumA += w * (d4 - rx * L4);
        } else {
          e = Math.exp(diff);
          s = e / (1 + e);
          sumA -= w * rx * L3;
        }
        if (w === 1) {
          prod *= 1 + e;
          if (prod > 1e150) {
            logProd += Math.log(prod);
            prod = 1;
          }
        } else {
          sumA += w * Math.log1p(e);
        }
        const ws = w * s;
        sumS += ws;
        sumL += w * L3 + ws * (L4 - L3);
        const I3 = it[ti] as number;
        sumI += w * I3 + ws * ((itx[txi] as number) - I3);
      }
    }
    ll += sumA;
    gr -= sumL;
    gAlpha -= rx * sumI;
    ga += sumS / a;
    gb -= sumS / bx;
  }
  ll += logProd + Math.log(prod);
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
  /**
   * Above this many distinct x > 0 triples (default 40,000) the start point and the initial inverse
   * Hessian come from a fit on a weighted subsample of about `subsampleSize / 2` triples; the fit on the
   * full data then only refines (the result is the full data's MLE, to the same gradient tolerance).
   * 0 disables the subsample stage.
   */
  subsampleSize?: number;
}

/** The fields `bgnbdLogLikelihood` reads. */
type LikelihoodData = Pick<
  BgNbdStats,
  'customers' | 'xs' | 'txs' | 'ts' | 'xWeight' | 'zeroWeight' | 'groupStart' | 'gT' | 'gTx' | 'gW'
>;

/**
 * A weighted pseudo-sample of the data with expected total weight `rate`·W: the x = 0 weights scaled
 * by `rate`; each x > 0 triple kept with weight w·rate when that is >= 1, else kept with probability
 * w·rate and weight 1 (deterministic hash). Its MLE is close to the full data's.
 */
function thinStats(stats: BgNbdStats, rate: number): LikelihoodData {
  const { xs, groupStart, gT, gTx, gW } = stats;
  const nx = xs.length;
  const zeroWeight = stats.zeroWeight.map((w) => w * rate);
  const xWeight = new Float64Array(nx);
  const subStart = new Int32Array(nx + 1);
  const sT: number[] = [];
  const sTx: number[] = [];
  const sW: number[] = [];
  let h = 0x9e3779b9;
  for (let xi = 0; xi < nx; xi++) {
    if (xs[xi] === 0) {
      let zw = 0;
      for (const w of zeroWeight) zw += w;
      xWeight[xi] = zw;
    }
    for (let k = groupStart[xi] as number; k < (groupStart[xi + 1] as number); k++) {
      const wr = (gW[k] as number) * rate;
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + k;
      h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
      const u = ((h ^ (h >>> 15)) >>> 0) / 4294967296;
      if (wr < 1 && u >= wr) continue;
      const w = Math.max(1, wr);
      sT.push(gT[k] as number);
      sTx.push(gTx[k] as number);
      sW.push(w);
      xWeight[xi] = (xWeight[xi] as number) + w;
    }
    subStart[xi + 1] = sT.length;
  }
  let customers = 0;
  for (const w of xWeight) customers += w;
  return {
    customers,
    xs,
    txs: stats.txs,
    ts: stats.ts,
    xWeight,
    zeroWeight,
    groupStart: subStart,
    gT: Int32Array.from(sT),
    gTx: Int32Array.from(sTx),
    gW: Float64Array.from(sW),
  };
}

/** Mean negative log-likelihood (+ penalty) over log-parameters (ln r, ln α, ln a, ln b). */
export function bgnbdObjective(data: LikelihoodData, penalizer: number) {
  const W = data.customers;
  const g = new Float64Array(4);
  const p: BgNbdParams = { r: 1, alpha: 1, a: 1, b: 1 };
  return (lp: Float64Array, grad: Float64Array): number => {
    p.r = Math.exp(lp[0] as number);
    p.alpha = Math.exp(lp[1] as number);
    p.a = Math.exp(lp[2] as number);
    p.b = Math.exp(lp[3] as number);
    const ll = bgnbdLogLikelihood(p, data, g);
    const th = [p.r, p.alpha, p.a, p.b];
    let pen = 0;
    for (let k = 0; k < 4; k++) {
      const t = th[k] as number;
      pen += t * t;
      grad[k] = t * (-(g[k] as number) / W + 2 * penalizer * t);
    }
    return -ll / W + penalizer * pen;
  };
}

/** Maximum-likelihood fit over log-parameters with BFGS and the analytic gradient. */
export function fitBgNbd(stats: BgNbdStats, options: FitOptions = {}): BgNbdFit {
  const penalizer = options.penalizer ?? 0;
  if (!(penalizer >= 0)) throw new Error('penalizer must be >= 0');
  if (stats.customers <= 0) throw new Error('cannot fit BG/NBD on zero customers');
  const W = stats.customers;
  let meanT = 0;
  for (let k = 0; k < stats.size; k++)
    meanT += (stats.weight[k] as number) * (stats.ts[stats.tId[k] as number] as number);
  meanT /= W;
  const init = options.initial ?? { r: 1, alpha: Math.max(1e-3, meanT), a: 1, b: 1 };
  let x0 = [init.r, init.alpha, init.a, init.b].map(Math.log);
  let inverseHessian: Float64Array | undefined;
  const subsampleSize = options.subsampleSize ?? 40_000;
  const repeat = stats.gW.length;
  if (!options.initial && subsampleSize > 0 && repeat > subsampleSize) {
    const sub = thinStats(stats, subsampleSize / 2 / repeat);
    ({ x0, inverseHessian } = warmStartFromSubsample(bgnbdObjective(sub, penalizer), x0));
  }
  const res = minimizeBfgs(bgnbdObjective(stats, penalizer), x0, {
    gradTol: 1e-10,
    maxIterations: 1000,
    ...(inverseHessian ? { inverseHessian } : {}),
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
  return {
    ...fit,
    logLikelihood,
    iterations: res.iterations,
    evaluations: res.evaluations,
    converged: res.converged,
    inverseHessian: res.inverseHessian,
  };
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
/** From this a on, a series too long to sum is replaced by the a + b → ∞ limit. */
export const ASYMPTOTIC_A = 1e6;
/** From this a + b on, the limit is used outright (relative error ~1/(a+b) ≤ 1e-8). */
export const ASYMPTOTIC_AB = 1e8;
/** From this a + b on, the limit stands in when neither the series nor the quadrature settles (relative error ~1e-5 at worst). */
export const ASYMPTOTIC_FALLBACK_AB = 1e5;

/**
 * Numerator of the conditional expectation E[X(t) | x, t_x, T] (everything except the
 * 1/(1 + odds) = P(alive) factor): (a+b+x-1)/(a-1) · [1 - 2F1(r+x, b+x; a+b+x-1; z) · (1-z)^(r+x)],
 * z = t/(α+T+t). Evaluated through Euler's transformation
 *   2F1(r+x, b+x; c; z) = (1-z)^(a-1-r-x) · 2F1(a+b-1-r, a-1; c; z),  c = a+b+x-1,
 * whose series has bounded parameters (no huge terms at large x), and with ε = a-1,
 * 2F1(·, ε; c; z) = 1 + ε·S, so the bracket over ε is  -expm1(ε L)/ε - e^(ε L)·S  with L = ln(1-z):
 * finite and continuous through a = 1. If the series does not converge in 200,000 terms or too many
 * digits cancel (condition number > 1e6), the integral form (`bgnbdNumeratorByQuadrature`) is used.
 */
export function bgnbdConditionalNumerator(p: BgNbdParams, x: number, T: number, t: number): number {
  if (t === 0) return 0;
  const eps = p.a - 1;
  const c = p.a + p.b + x - 1;
  const A = p.a + p.b - 1 - p.r;
  const u = t / (p.alpha + T);
  const L = -Math.log1p(u);
  const z = u / (1 + u);
  // The series needs about ε·z terms; for a huge a (the constant-dropout limit the robust fit writes
  // as a = d·1e12) use the limit a, b → ∞ with d = a/(a+b):
  // 2F1(r+x, b+x; c; z) → (1 - (1-d)z)^-(r+x), so the bracket is 1 - ((α+T)/(α+T+d·t))^(r+x).
  if (p.a + p.b >= ASYMPTOTIC_AB || (p.a >= ASYMPTOTIC_A && eps * z > 1e4)) return limitNumerator(p, x, T, t);
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
  if (k >= SERIES_MAX_TERMS || !Number.isFinite(S)) return bgnbdNumeratorByQuadrature(p, x, T, t);
  const t1 = -expm1Ratio(eps, L);
  const e = Math.exp(eps * L);
  const bracket = t1 - e * S;
  // Condition number of the sums: with parameters such as a + b < 1 and z near 1 the series
  // alternates with huge terms; rather than return lost digits, integrate instead.
  if (!(bracket >= 0) || Math.abs(t1) + e * sumAbs > 1e6 * bracket) {
    if (bracket === 0) return 0;
    return bgnbdNumeratorByQuadrature(p, x, T, t);
  }
  return c * bracket;
}

/**
 * The numerator as an integral over the posterior dropout probability of an alive customer,
 * p ~ Beta(a, b+x):  N = E[(1 - (1 + p·u)^-(r+x)) / p],  u = t/(α+T)
 * (given λ and p an alive customer expects (1 - e^(-λpt))/p purchases; λ ~ Gamma(r+x, α+T)). The
 * integrand is positive and bounded by (r+x)·u, so nothing cancels. Tanh-sinh quadrature (which
 * handles the p^(a-1) and (1-p)^(b+x-1) end-point singularities), halving the step until two levels
 * agree to 1e-12; for a + b ≥ 1e5 the density may be too narrow for the nodes, and the a + b → ∞
 * limit (relative error ~1/(a+b)) is used if the quadrature does not settle. Used where the series
 * is too long or cancels.
 */
export function bgnbdNumeratorByQuadrature(p: BgNbdParams, x: number, T: number, t: number): number {
  const beta = p.b + x;
  const rx = p.r + x;
  const u = t / (p.alpha + T);
  const lnB = lbeta(p.a, beta);
  const node = (tau: number): number => {
    const s = (Math.PI / 2) * Math.sinh(tau);
    // p and 1 - p from the logistic of 2s, each accurate near its own end.
    const lnP = s > 0 ? -Math.log1p(Math.exp(-2 * s)) : 2 * s - Math.log1p(Math.exp(2 * s));
    const lnQ = s > 0 ? -2 * s - Math.log1p(Math.exp(-2 * s)) : -Math.log1p(Math.exp(2 * s));
    const lw = Math.log(Math.PI * Math.cosh(tau)) + p.a * lnP + beta * lnQ - lnB;
    if (lw < -745) return 0;
    const q = Math.exp(lnP);
    const g = q * u < 1e-12 ? rx * u : -Math.expm1(-rx * Math.log1p(q * u)) / q;
    return g * Math.exp(lw);
  };
  const TAU_MAX = 7;
  let h = 0.5;
  let sum = node(0);
  for (let k = 1; k * h <= TAU_MAX; k++) sum += node(k * h) + node(-k * h);
  let estimate = sum * h;
  for (let level = 1; level <= 12; level++) {
    h /= 2;
    for (let k = 1; k * h <= TAU_MAX; k += 2) sum += node(k * h) + node(-k * h);
    const next = sum * h;
    if (level >= 3 && Math.abs(next - estimate) <= 1e-12 * next && Number.isFinite(next)) return next;
    estimate = next;
  }
  return p.a + p.b >= ASYMPTOTIC_FALLBACK_AB ? limitNumerator(p, x, T, t) : Number.NaN;
}

/**
 * The numerator in the limit a + b → ∞ with d = a/(a+b) fixed (the dropout probability's beta
 * distribution collapses onto d): 2F1(r+x, b+x; c; z) → (1 - (1-d)z)^-(r+x), so the bracket is
 * 1 - ((α+T)/(α+T+d·t))^(r+x); as d → 0 it tends to (r+x)·t/(α+T), the NBD without dropout.
 * Relative error of order 1/(a+b) (the variance of the dropout probability).
 */
function limitNumerator(p: BgNbdParams, x: number, T: number, t: number): number {
  const d = p.a / (p.a + p.b);
  const rx = p.r + x;
  const u = t / (p.alpha + T);
  const scale = (p.a + p.b + x - 1) / (p.a + p.b);
  if (d * u < 1e-12) return scale * rx * u;
  return (scale / d) * -Math.expm1(-rx * Math.log1p(d * u));
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
