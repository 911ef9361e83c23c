// Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"), lifetimes conventions.
import { KeyIndex } from './keyindex.js';
import { minimizeBfgs, warmStartFromSubsample } from './optimize.js';
import { digamma, lgamma } from './special.js';

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number;
  customers: number;
  iterations: number;
  /** Objective evaluations of the full-data fit. */
  evaluations: number;
  converged: boolean;
}

/** Prepared data: repeat customers only (x > 0, m > 0). */
export interface GammaGammaStats {
  customers: number;
  /** Distinct x values and count per x. */
  xs: Float64Array;
  xCount: Float64Array;
  /** Σ over customers of x·ln m + (x)·ln x per distinct x, for the constant part. */
  sumXLogM: Float64Array;
  sumLogM: number;
  /** Per customer: x, x·m and its x id. */
  x: Float64Array;
  xm: Float64Array;
}

/** Keeps the customers with frequency > 0 and monetary value > 0 (as lifetimes requires). */
export function gammaGammaStats(frequency: ArrayLike<number>, monetary: ArrayLike<number>): GammaGammaStats {
  const n = frequency.length;
  if (monetary.length !== n) throw new Error('frequency and monetary must have equal length');
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = frequency[i] as number;
    const v = monetary[i] as number;
    if (!Number.isFinite(v) || v < 0)
      throw new Error(`customer #${i}: monetary value must be finite and >= 0`);
    if (x > 0 && v > 0) m++;
  }
  const xs = new Float64Array(m);
  const xm = new Float64Array(m);
  const perX = perXSums();
  let j = 0;
  for (let i = 0; i < n; i++) {
    const x = frequency[i] as number;
    const v = monetary[i] as number;
    if (!(x > 0 && v > 0)) continue;
    xs[j] = x;
    xm[j] = x * v;
    j++;
    perX.add(x, Math.log(v));
  }
  return perX.stats(xs, xm);
}

/** The per-distinct-x sums of the stats, added customer by customer. */
function perXSums() {
  const xIdx = new KeyIndex(1, 256);
  const sumXLogM: number[] = [];
  const xCount: number[] = [];
  let sumLogM = 0;
  return {
    add(x: number, logM: number): void {
      sumLogM += logM;
      const id = xIdx.add(x);
      sumXLogM[id] = (sumXLogM[id] ?? 0) + x * logM;
      xCount[id] = (xCount[id] ?? 0) + 1;
    },
    stats(x: Float64Array, xm: Float64Array): GammaGammaStats {
      return {
        customers: x.length,
        xs: xIdx.keys.slice(0, xIdx.size),
        xCount: Float64Array.from(xCount),
        sumXLogM: Float64Array.from(sumXLogM),
        sumLogM,
        x,
        xm,
      };
    },
  };
}

/**
 * Σ ln L(p, q, v | x, m) over repeat customers:
 * lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v).
 * With `grad`, writes ∂LL/∂(p, q, v).
 */
export function gammaGammaLogLikelihood(
  params: GammaGammaParams,
  s: GammaGammaStats,
  grad?: Float64Array,
): number {
  const { p, q, v } = params;
  const lgQ = lgamma(q);
  const lnV = Math.log(v);
  let ll = 0;
  let gp = 0;
  let gq = 0;
  let gv = 0;
  const psiQ = grad ? digamma(q) : 0;
  for (let k = 0; k < s.xs.length; k++) {
    const x = s.xs[k] as number;
    const n = s.xCount[k] as number;
    const px = p * x;
    const lnx = Math.log(x);
    ll += n * (lgamma(px + q) - lgamma(px) - lgQ + q * lnV + px * lnx);
    ll += p * (s.sumXLogM[k] as number);
    if (grad) {
      const psiPXQ = digamma(px + q);
      gp += n * x * (psiPXQ - digamma(px) + lnx) + (s.sumXLogM[k] as number);
      gq += n * (psiPXQ - psiQ + lnV);
      gv += (n * q) / v;
    }
  }
  ll -= s.sumLogM;
  // Per customer: -(px+q) ln(xm+v).
  let sumL = 0;
  let sumXL = 0;
  let sumR = 0;
  let sumXR = 0;
  const { x, xm } = s;
  for (let i = 0; i < s.customers; i++) {
    const xi = x[i] as number;
    const d = (xm[i] as number) + v;
    const l = Math.log(d);
    sumL += l;
    sumXL += xi * l;
    if (grad) {
      const rr = 1 / d;
      sumR += rr;
      sumXR += xi * rr;
    }
  }
  ll -= p * sumXL + q * sumL;
  if (grad) {
    grad[0] = gp - sumXL;
    grad[1] = gq - sumL;
    grad[2] = gv - (p * sumXR + q * sumR);
  }
  return ll;
}

/** Every `stride`-th repeat customer, as stats of their own (for the start point of large fits). */
function strideSample(s: GammaGammaStats, stride: number): GammaGammaStats {
  const m = Math.ceil(s.customers / stride);
  const x = new Float64Array(m);
  const xm = new Float64Array(m);
  const perX = perXSums();
  for (let j = 0; j < m; j++) {
    const xi = s.x[j * stride] as number;
    const xmi = s.xm[j * stride] as number;
    x[j] = xi;
    xm[j] = xmi;
    perX.add(xi, Math.log(xmi / xi));
  }
  return perX.stats(x, xm);
}

function ggObjective(s: GammaGammaStats, penalizer: number) {
  const W = s.customers;
  const g = new Float64Array(3);
  const par: GammaGammaParams = { p: 1, q: 1, v: 1 };
  return (lp: Float64Array, grad: Float64Array): number => {
    par.p = Math.exp(lp[0] as number);
    par.q = Math.exp(lp[1] as number);
    par.v = Math.exp(lp[2] as number);
    const ll = gammaGammaLogLikelihood(par, s, g);
    const th = [par.p, par.q, par.v];
    let pen = 0;
    for (let k = 0; k < 3; k++) {
      const t = th[k] as number;
      pen += t * t;
      grad[k] = t * (-(g[k] as number) / W + 2 * penalizer * t);
    }
    return -ll / W + penalizer * pen;
  };
}

/**
 * Maximum-likelihood fit over log-parameters (BFGS, analytic gradient), optional L2 penalty like lifetimes.
 * Above `subsampleSize` repeat customers (default 40,000) the start point and initial inverse Hessian come
 * from a fit on every k-th customer (about subsampleSize / 2 of them); the full-data fit then refines to the
 * same gradient tolerance. 0 disables that stage.
 */
export function fitGammaGamma(
  s: GammaGammaStats,
  options: { penalizer?: number; subsampleSize?: number } = {},
): GammaGammaFit {
  const penalizer = options.penalizer ?? 0;
  if (s.customers === 0)
    throw new Error('cannot fit Gamma-Gamma: no customer with frequency > 0 and monetary > 0');
  const W = s.customers;
  // Start: p = 1, q = 2, v = mean spend (scale of the data), so the optimiser starts in a sane region.
  let meanM = 0;
  for (let i = 0; i < W; i++) meanM += (s.xm[i] as number) / (s.x[i] as number);
  meanM /= W;
  let x0 = [0, Math.log(2), Math.log(Math.max(meanM, 1e-12))];
  let inverseHessian: Float64Array | undefined;
  const subsampleSize = options.subsampleSize ?? 40_000;
  if (subsampleSize > 0 && W > subsampleSize) {
    const sub = strideSample(s, Math.ceil(W / (subsampleSize / 2)));
    ({ x0, inverseHessian } = warmStartFromSubsample(ggObjective(sub, penalizer), x0));
  }
  const res = minimizeBfgs(ggObjective(s, penalizer), x0, {
    gradTol: 1e-10,
    maxIterations: 1000,
    ...(inverseHessian ? { inverseHessian } : {}),
  });
  const fit = {
    p: Math.exp(res.x[0] as number),
    q: Math.exp(res.x[1] as number),
    v: Math.exp(res.x[2] as number),
  };
  const logLikelihood = gammaGammaLogLikelihood(fit, s);
  for (const val of [fit.p, fit.q, fit.v, logLikelihood]) {
    if (!Number.isFinite(val) || val === 0) throw new Error(`Gamma-Gamma fit failed (${res.message})`);
  }
  return {
    ...fit,
    logLikelihood,
    customers: W,
    iterations: res.iterations,
    evaluations: res.evaluations,
    converged: res.converged,
  };
}

/** Population mean spend p·v/(q-1); NaN when q <= 1 (undefined mean). */
export function gammaGammaPopulationMean(params: GammaGammaParams): number {
  return params.q > 1 ? (params.p * params.v) / (params.q - 1) : Number.NaN;
}

/** E[M | x, m̄]: weighted mean of the population mean and the customer's own mean. */
export function gammaGammaExpectedAverageValue(params: GammaGammaParams, x: number, m: number): number {
  const { p, q } = params;
  const pop = gammaGammaPopulationMean(params);
  if (x === 0) return pop;
  const w = (p * x) / (p * x + q - 1);
  return (1 - w) * pop + w * m;
}
