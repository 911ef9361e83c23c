// BG/NBD fitting that never ends at a degenerate corner silently, with parameter uncertainty.
//
// When every customer has about the same dropout propensity, the BG/NBD likelihood keeps rising as
// a and b grow with a/(a+b) fixed: the beta mixing distribution of the dropout probability collapses
// onto one value. The maximum then lies at infinity (issue 13's small shop: a ≈ 7.6M, b ≈ 4.4M).
// The limit is a proper model, BG/NBD with a constant dropout probability d after each purchase
// (Fader, Hardie & Lee 2005 note that the beta mixing reduces to a point mass as a, b → ∞); we fit it
// directly (parameters r, α, d); the two likelihoods agree there to ~1e-7, and the limit's parameters
// are finite and computable (a = d·1e12, b = (1-d)·1e12 for code that takes BG/NBD parameters).
import { type BgNbdFit, type BgNbdParams, type BgNbdStats, bgnbdObjective, fitBgNbd } from './bgnbd.js';
import { inverseHessianAt, minimizeBfgs } from './optimize.js';
import { digamma, lgamma } from './special.js';

/** a or b above this means the fit ran off to the constant-dropout limit. */
export const DEGENERATE_AB = 1e4;
/** Scale used to write the constant-dropout limit as BG/NBD parameters: a = d·K, b = (1-d)·K. */
export const CONSTANT_DROPOUT_SCALE = 1e12;
/** Below this many customers the fit is flagged as uncertain (Klaviyo refuses below 500). */
export const FEW_CUSTOMERS = 500;
/** A parameter whose standard error exceeds this share of its value is reported as poorly determined. */
export const LOOSE_RELATIVE_SE = 0.5;

export type FitMethod = 'maximum_likelihood' | 'constant_dropout_limit';

export interface RobustBgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  method: FitMethod;
  /** The constant dropout probability per purchase of the limit model (null for the ordinary fit). */
  dropoutProbability: number | null;
  /** Standard errors from the inverse Hessian of the log-likelihood (delta method); null when it is singular. */
  standardErrors: {
    r: number;
    alpha: number;
    a: number | null;
    b: number | null;
    dropout: number | null;
  } | null;
  converged: boolean;
  customers: number;
  repeatCustomers: number;
  maxFrequency: number;
}

/** Log-likelihood of the constant-dropout limit per triple, and its gradient in (r, α, d). */
function limitLogLikelihood(r: number, alpha: number, d: number, s: BgNbdStats, grad: Float64Array): number {
  let ll = 0;
  let gr = 0;
  let ga = 0;
  let gd = 0;
  const lnAlpha = Math.log(alpha);
  const ln1d = Math.log1p(-d);
  const lnd = Math.log(d);
  const lgr = lgamma(r);
  const dgr = digamma(r);
  for (let k = 0; k < s.size; k++) {
    const w = s.weight[k] as number;
    const x = s.xs[s.xId[k] as number] as number;
    const tx = s.txs[s.txId[k] as number] as number;
    const T = s.ts[s.tId[k] as number] as number;
    const lT = Math.log(alpha + T);
    const lu = x * ln1d - (r + x) * lT;
    let L = lu;
    let share = 0;
    let lTx = 0;
    if (x > 0) {
      lTx = Math.log(alpha + tx);
      const lv = lnd + (x - 1) * ln1d - (r + x) * lTx;
      L = lu > lv ? lu + Math.log1p(Math.exp(lv - lu)) : lv + Math.log1p(Math.exp(lu - lv));
      share = Math.exp(lv - L);
    }
    ll += w * (lgamma(r + x) - lgr + r * lnAlpha + L);
    gr += w * (digamma(r + x) - dgr + lnAlpha - ((1 - share) * lT + share * lTx));
    ga += w * (r / alpha - (r + x) * ((1 - share) / (alpha + T) + (x > 0 ? share / (alpha + tx) : 0)));
    gd += w * ((1 - share) * (-x / (1 - d)) + share * (1 / d - (x - 1) / (1 - d)));
  }
  grad[0] = gr;
  grad[1] = ga;
  grad[2] = gd;
  return ll;
}

/** Mean negative log-likelihood of the limit over (ln r, ln α, logit d). */
function limitObjective(s: BgNbdStats) {
  const g = new Float64Array(3);
  const W = s.customers;
  return (th: Float64Array, grad: Float64Array): number => {
    const r = Math.exp(th[0] as number);
    const alpha = Math.exp(th[1] as number);
    const d = 1 / (1 + Math.exp(-(th[2] as number)));
    const ll = limitLogLikelihood(r, alpha, d, s, g);
    grad[0] = (-(g[0] as number) * r) / W;
    grad[1] = (-(g[1] as number) * alpha) / W;
    grad[2] = (-(g[2] as number) * d * (1 - d)) / W;
    return -ll / W;
  };
}

function dataShape(s: BgNbdStats) {
  let repeat = 0;
  let maxX = 0;
  for (let k = 0; k < s.size; k++) {
    const x = s.xs[s.xId[k] as number] as number;
    if (x > 0) repeat += s.weight[k] as number;
    maxX = Math.max(maxX, x);
  }
  return { repeatCustomers: repeat, maxFrequency: maxX };
}

/**
 * BG/NBD fit: the maximum-likelihood fit, or, when that runs off to a, b → ∞ (or fails), the
 * constant-dropout limit fitted directly. Standard errors from the Hessian of the
 * mean log-likelihood over log-parameters (the BFGS approximation above 40,000 distinct triples).
 */
export function fitBgNbdRobust(stats: BgNbdStats, options: { penalizer?: number } = {}): RobustBgNbdFit {
  const penalizer = options.penalizer ?? 0;
  const shape = dataShape(stats);
  const W = stats.customers;
  let mle: BgNbdFit | null = null;
  try {
    mle = fitBgNbd(stats, { penalizer });
  } catch {
    mle = null;
  }
  const degenerate = !mle || mle.a > DEGENERATE_AB || mle.b > DEGENERATE_AB;
  if (mle && !degenerate) {
    const lp = [mle.r, mle.alpha, mle.a, mle.b].map(Math.log);
    const inv =
      stats.gW.length > 40_000 && mle.inverseHessian
        ? mle.inverseHessian
        : inverseHessianAt(bgnbdObjective(stats, penalizer), lp);
    const se = (i: number, v: number) => v * Math.sqrt(Math.max(0, (inv?.[i * 4 + i] ?? Number.NaN) / W));
    return {
      params: { r: mle.r, alpha: mle.alpha, a: mle.a, b: mle.b },
      logLikelihood: mle.logLikelihood,
      method: 'maximum_likelihood',
      dropoutProbability: null,
      standardErrors: inv
        ? { r: se(0, mle.r), alpha: se(1, mle.alpha), a: se(2, mle.a), b: se(3, mle.b), dropout: null }
        : null,
      converged: mle.converged,
      customers: W,
      ...shape,
    };
  }
  const fn = limitObjective(stats);
  let meanT = 0;
  for (let k = 0; k < stats.size; k++)
    meanT += (stats.weight[k] as number) * (stats.ts[stats.tId[k] as number] as number);
  meanT = Math.max(1e-3, meanT / W);
  const start = mle
    ? [Math.log(mle.r), Math.log(mle.alpha), Math.log(mle.a / mle.b)]
    : [0, Math.log(meanT), 0];
  const res = minimizeBfgs(fn, start, { gradTol: 1e-10, maxIterations: 1000 });
  const r = Math.exp(res.x[0] as number);
  const alpha = Math.exp(res.x[1] as number);
  const d = 1 / (1 + Math.exp(-(res.x[2] as number)));
  const g = new Float64Array(3);
  const ll = limitLogLikelihood(r, alpha, d, stats, g);
  if (![r, alpha, d, ll].every(Number.isFinite) || d <= 0 || d >= 1) {
    if (mle)
      throw new Error('BG/NBD fit ran off to a, b → ∞ and the constant-dropout limit could not be fitted');
    throw new Error(`BG/NBD fit failed (${res.message})`);
  }
  const inv = inverseHessianAt(fn, res.x);
  const seLog = (i: number) => Math.sqrt(Math.max(0, (inv?.[i * 3 + i] ?? Number.NaN) / W));
  return {
    params: { r, alpha, a: d * CONSTANT_DROPOUT_SCALE, b: (1 - d) * CONSTANT_DROPOUT_SCALE },
    logLikelihood: ll,
    method: 'constant_dropout_limit',
    dropoutProbability: d,
    standardErrors: inv
      ? { r: r * seLog(0), alpha: alpha * seLog(1), a: null, b: null, dropout: d * (1 - d) * seLog(2) }
      : null,
    converged: res.converged,
    customers: W,
    ...shape,
  };
}

export interface FitDescription {
  warnings: string[];
}

const pct = (v: number) => `${Math.round(v * 100)} %`;

/** Plain-words warnings for a marketer: too few or too regular data, poorly determined parameters. */
export function describeFit(fit: RobustBgNbdFit, customers = fit.customers): FitDescription {
  const warnings: string[] = [];
  if (customers < FEW_CUSTOMERS)
    warnings.push(
      `only ${customers} customers (fewer than ${FEW_CUSTOMERS}): treat P(alive), expected purchases and the tiers as rough`,
    );
  if (fit.repeatCustomers < 50)
    warnings.push(
      `only ${fit.repeatCustomers} customers bought more than once: the purchase rates rest on few repeat buyers`,
    );
  if (fit.maxFrequency <= 2)
    warnings.push(
      `the data are very regular (no customer has more than ${fit.maxFrequency} repeat purchase days): the model cannot tell frequent from occasional buyers well`,
    );
  if (fit.method === 'constant_dropout_limit' && (fit.dropoutProbability as number) < 1e-3)
    warnings.push(
      'the data show no sign of customers stopping to buy (dropout probability → 0): P(alive) is near 1 for everyone and the model cannot warn of churn',
    );
  else if (fit.method === 'constant_dropout_limit')
    warnings.push(
      `the data show no differences between customers in how likely they are to stop buying (a, b → ∞); fitted the limit model instead: every customer stops after a purchase with the same probability ${(fit.dropoutProbability as number).toFixed(3)}`,
    );
  if (!fit.standardErrors)
    warnings.push('the parameters are not identified by the data (flat likelihood): no standard errors');
  else {
    const se = fit.standardErrors;
    const loose: string[] = [];
    const check = (name: string, value: number, s: number | null) => {
      if (s !== null && Number.isFinite(s) && s > LOOSE_RELATIVE_SE * value)
        loose.push(`${name} ±${pct(s / value)}`);
      if (s !== null && !Number.isFinite(s)) loose.push(`${name} (no estimate)`);
    };
    check('r', fit.params.r, se.r);
    check('alpha', fit.params.alpha, se.alpha);
    if (fit.method === 'maximum_likelihood') {
      check('a', fit.params.a, se.a);
      check('b', fit.params.b, se.b);
    } else check('dropout probability', fit.dropoutProbability as number, se.dropout);
    if (loose.length > 0)
      warnings.push(`poorly determined parameters (one standard error): ${loose.join(', ')}`);
  }
  if (!fit.converged) warnings.push('the optimiser stopped before the convergence test was met');
  return { warnings };
}
