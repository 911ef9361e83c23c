// Fitting both models, and scoring customers (one at a time or in typed-array batches).
import { z } from 'zod';
import type { RfmSummary } from '../types.js';
import {
  type BgNbdParams,
  bgnbdConditionalNumerator,
  bgnbdLogOdds,
  bgnbdStats,
  validateBgNbdRow,
} from './bgnbd.js';
import {
  fitGammaGamma,
  type GammaGammaParams,
  gammaGammaPopulationMean as gammaGammaMean,
  gammaGammaStats,
} from './gammagamma.js';
import { KeyIndex } from './keyindex.js';
import { describeFit, fitBgNbdRobust } from './robustFit.js';
import { expit } from './special.js';
import type { TimeUnit } from './summary.js';

const positive = z.number().positive().finite();

export const ModelParamsSchema = z.object({
  timeUnit: z.enum(['day', 'week']),
  customers: z.number().int().nonnegative(),
  bgnbd: z.object({
    r: positive,
    alpha: positive,
    a: positive,
    b: positive,
    logLikelihood: z.number().finite(),
  }),
  gammaGamma: z.object({ p: positive, q: positive, v: positive }).nullable(),
  /** How the fit went, in words a marketer can act on (absent in parameter files written before it existed). */
  fit: z
    .object({
      method: z.enum(['maximum_likelihood', 'constant_dropout_limit']),
      dropoutProbability: z.number().nullable(),
      standardErrors: z
        .object({
          r: z.number(),
          alpha: z.number(),
          a: z.number().nullable(),
          b: z.number().nullable(),
          dropout: z.number().nullable(),
        })
        .nullable(),
      warnings: z.array(z.string()),
    })
    .optional(),
});

/** Gamma-Gamma q above this: spend shows no customer-to-customer differences (q, v → ∞, v/q fixed). */
export const DEGENERATE_GG_Q = 1e4;

export type ModelParams = z.infer<typeof ModelParamsSchema>;

/** Time units per month for the CLV steps (lifetimes `customer_lifetime_value` freq factors W and D). */
export const UNITS_PER_MONTH: Record<TimeUnit, number> = { week: 4.345, day: 30 };

export interface ScoreOptions {
  /** Horizon of `expectedPurchases`, in time units. */
  horizon: number;
  /** Monthly CLV steps (default 12). */
  clvMonths?: number;
  /** Discount rate per month (default 0.01). */
  discount?: number;
  /** Must equal the params' time unit when given. */
  timeUnit?: TimeUnit;
}

export type ScoreResult =
  | { ok: true; pAlive: number; expectedPurchases: number; expectedAvgValue: number; clv: number }
  | { ok: false; reason: string };

export interface FitModelsOptions {
  timeUnit: TimeUnit;
  penalizer?: number;
}

/** Fits BG/NBD on all customers and Gamma-Gamma on repeat customers (null when there are none). */
export function fitModels(
  summaries: Iterable<RfmSummary> | ArrayLike<RfmSummary>,
  options: FitModelsOptions,
): ModelParams {
  const list = Array.isArray(summaries)
    ? (summaries as RfmSummary[])
    : Array.from(summaries as Iterable<RfmSummary>);
  const n = list.length;
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = list[i] as RfmSummary;
    x[i] = s.frequency;
    tx[i] = s.recency;
    T[i] = s.T;
    m[i] = s.monetaryValue;
  }
  return fitModelsColumns({ frequency: x, recency: tx, T, monetaryValue: m }, options);
}

export interface SummaryColumns {
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  monetaryValue: Float64Array;
}

/** `fitModels` on column arrays (no per-customer objects). */
export function fitModelsColumns(cols: SummaryColumns, options: FitModelsOptions): ModelParams {
  const pen = options.penalizer === undefined ? {} : { penalizer: options.penalizer };
  const bg = fitBgNbdRobust(bgnbdStats(cols.frequency, cols.recency, cols.T), pen);
  const ggStats = gammaGammaStats(cols.frequency, cols.monetaryValue);
  const gg = ggStats.customers > 0 ? fitGammaGamma(ggStats, pen) : null;
  const warnings = describeFit(bg).warnings;
  if (!gg) warnings.push('no repeat customer with spend: no Gamma-Gamma model, so no expected spend or CLV');
  else if (gg.q > DEGENERATE_GG_Q)
    // The likelihood rises towards q, v → ∞ (v/q fixed): every customer's average spend is drawn from
    // the same value. Still computable: E[M] shrinks fully to the population mean p·v/(q-1).
    warnings.push(
      `spend shows no differences between customers (Gamma-Gamma q → ∞): everyone's expected order value is the population mean ${gammaGammaMean(gg).toFixed(2)}`,
    );
  else if (ggStats.customers < 50)
    warnings.push(`only ${ggStats.customers} repeat customers with spend: the spend model is rough`);
  return {
    timeUnit: options.timeUnit,
    customers: cols.frequency.length,
    bgnbd: { ...bg.params, logLikelihood: bg.logLikelihood },
    gammaGamma: gg ? { p: gg.p, q: gg.q, v: gg.v } : null,
    fit: {
      method: bg.method,
      dropoutProbability: bg.dropoutProbability,
      standardErrors: bg.standardErrors,
      warnings,
    },
  };
}

/** Parameter-only terms, computed once per (params, options). */
interface Prepared {
  bg: BgNbdParams;
  gg: GammaGammaParams | null;
  popMean: number;
  horizon: number;
  /** CLV step end times i·factor, i = 1..months, and discount factors 1/(1+d)^i. */
  steps: Float64Array;
  disc: Float64Array;
  error: string | null;
}

function prepare(params: ModelParams, options: ScoreOptions): Prepared {
  const months = options.clvMonths ?? 12;
  const discount = options.discount ?? 0.01;
  const factor = UNITS_PER_MONTH[params.timeUnit];
  const steps = new Float64Array(Math.max(0, months));
  const disc = new Float64Array(Math.max(0, months));
  for (let i = 1; i <= months; i++) {
    steps[i - 1] = i * factor;
    disc[i - 1] = (1 + discount) ** -i;
  }
  const gg = params.gammaGamma;
  const popMean = gg && gg.q > 1 ? (gg.p * gg.v) / (gg.q - 1) : Number.NaN;
  let error: string | null = null;
  if (options.timeUnit && options.timeUnit !== params.timeUnit)
    error = `time unit ${options.timeUnit} does not match the model's ${params.timeUnit}`;
  else if (!(options.horizon >= 0) || !Number.isFinite(options.horizon))
    error = 'horizon must be finite and >= 0';
  else if (!Number.isInteger(months) || months < 0) error = 'clvMonths must be a non-negative integer';
  else if (!(discount > -1) || !Number.isFinite(discount)) error = 'discount must be finite and > -1';
  else if (!gg) error = 'no Gamma-Gamma model (no repeat customers when fitted)';
  else if (!(gg.q > 1)) error = `Gamma-Gamma q = ${gg.q} <= 1: expected spend is undefined`;
  return { bg: params.bgnbd, gg, popMean, horizon: options.horizon, steps, disc, error };
}

/** Customer-independent part of the row check; returns a reason or null. */
function rowError(x: number, tx: number, T: number, m: number): string | null {
  const e = validateBgNbdRow(x, tx, T);
  if (e) return e;
  if (!Number.isFinite(m) || m < 0) return `monetary value must be finite and >= 0 (got ${m})`;
  return null;
}

/** Σ_i [N(i·f) - N((i-1)·f)] / (1+d)^i, N = conditional numerator. */
function clvNumerator(pr: Prepared, x: number, T: number): number {
  let prev = 0;
  let sum = 0;
  for (let i = 0; i < pr.steps.length; i++) {
    const cur = bgnbdConditionalNumerator(pr.bg, x, T, pr.steps[i] as number);
    sum += (cur - prev) * (pr.disc[i] as number);
    prev = cur;
  }
  return sum;
}

function finish(
  pr: Prepared,
  x: number,
  tx: number,
  T: number,
  m: number,
  numH: number,
  numK: number,
  out: Float64Array,
): string | null {
  if (!Number.isFinite(numH) || !Number.isFinite(numK))
    return 'expected purchases could not be computed accurately (2F1 series did not converge or cancelled)';
  const pAlive = x === 0 ? 1 : expit(-bgnbdLogOdds(pr.bg, x, tx, T));
  const gg = pr.gg as GammaGammaParams;
  let avg = pr.popMean;
  if (x > 0) {
    const w = (gg.p * x) / (gg.p * x + gg.q - 1);
    avg = (1 - w) * pr.popMean + w * m;
  }
  const exp = numH * pAlive;
  const clv = avg * pAlive * numK;
  if (!Number.isFinite(pAlive) || !Number.isFinite(exp) || !Number.isFinite(avg) || !Number.isFinite(clv))
    return 'result not finite (numbers out of range)';
  out[0] = pAlive;
  out[1] = exp;
  out[2] = avg;
  out[3] = clv;
  return null;
}

const tmp = new Float64Array(4);

/** P(alive), expected purchases over the horizon, expected average value and discounted CLV of one customer. */
export function scoreCustomer(params: ModelParams, summary: RfmSummary, options: ScoreOptions): ScoreResult {
  const pr = prepare(params, options);
  if (pr.error) return { ok: false, reason: pr.error };
  const { frequency: x, recency: tx, T, monetaryValue: m } = summary;
  const e = rowError(x, tx, T, m);
  if (e) return { ok: false, reason: e };
  const err = finish(
    pr,
    x,
    tx,
    T,
    m,
    bgnbdConditionalNumerator(pr.bg, x, T, pr.horizon),
    clvNumerator(pr, x, T),
    tmp,
  );
  if (err) return { ok: false, reason: err };
  return {
    ok: true,
    pAlive: tmp[0] as number,
    expectedPurchases: tmp[1] as number,
    expectedAvgValue: tmp[2] as number,
    clv: tmp[3] as number,
  };
}

export interface ScoreBatchOutput {
  pAlive: Float64Array;
  expectedPurchases: Float64Array;
  expectedAvgValue: Float64Array;
  clv: Float64Array;
  /** 1 = scored, 0 = error (values are NaN and the reason is in `errors`). */
  ok: Uint8Array;
  errors: { index: number; reason: string }[];
  /** Distinct (x, T) pairs evaluated (the hypergeometric work is memoised per pair). */
  distinctPairs: number;
}

/**
 * Scores column arrays. The series work depends only on (x, T), so it is memoised per distinct
 * pair; each customer then costs one log1p, one exp and a few multiplications.
 */
export function scoreBatch(
  params: ModelParams,
  cols: SummaryColumns,
  options: ScoreOptions,
): ScoreBatchOutput {
  const n = cols.frequency.length;
  const out: ScoreBatchOutput = {
    pAlive: new Float64Array(n),
    expectedPurchases: new Float64Array(n),
    expectedAvgValue: new Float64Array(n),
    clv: new Float64Array(n),
    ok: new Uint8Array(n),
    errors: [],
    distinctPairs: 0,
  };
  const pr = prepare(params, options);
  if (pr.error) {
    for (let i = 0; i < n; i++) out.errors.push({ index: i, reason: pr.error });
    out.pAlive.fill(Number.NaN);
    out.expectedPurchases.fill(Number.NaN);
    out.expectedAvgValue.fill(Number.NaN);
    out.clv.fill(Number.NaN);
    return out;
  }
  const { frequency, recency, T: Ts, monetaryValue } = cols;
  const pairs = new KeyIndex(2, 4096);
  let numH = new Float64Array(4096);
  let numK = new Float64Array(4096);
  const { r, alpha, a, b } = pr.bg;
  const lnA = Math.log(a);
  const gg = pr.gg as GammaGammaParams;
  const popMean = pr.popMean;
  const pAlive = out.pAlive;
  const expP = out.expectedPurchases;
  const avgV = out.expectedAvgValue;
  const clvO = out.clv;
  const ok = out.ok;
  for (let i = 0; i < n; i++) {
    const x = frequency[i] as number;
    const tx = recency[i] as number;
    const T = Ts[i] as number;
    const m = monetaryValue[i] as number;
    // Inline validity check (same rules as rowError) to keep the loop allocation-free.
    if (
      !(
        x >= 0 &&
        Number.isInteger(x) &&
        T >= 0 &&
        T < Number.POSITIVE_INFINITY &&
        tx >= 0 &&
        tx <= T &&
        m >= 0 &&
        m < Number.POSITIVE_INFINITY
      ) ||
      (x === 0 && tx !== 0)
    ) {
      out.errors.push({ index: i, reason: rowError(x, tx, T, m) ?? 'invalid row' });
      pAlive[i] = expP[i] = avgV[i] = clvO[i] = Number.NaN;
      continue;
    }
    const before = pairs.size;
    const id = pairs.add(x, T);
    if (id === before) {
      if (id >= numH.length) {
        const h = new Float64Array(numH.length * 2);
        h.set(numH);
        numH = h;
        const k = new Float64Array(numK.length * 2);
        k.set(numK);
        numK = k;
      }
      numH[id] = bgnbdConditionalNumerator(pr.bg, x, T, pr.horizon);
      numK[id] = clvNumerator(pr, x, T);
    }
    const h = numH[id] as number;
    const k = numK[id] as number;
    let pa = 1;
    let avg = popMean;
    if (x > 0) {
      const odds = (r + x) * Math.log1p((T - tx) / (alpha + tx)) + lnA - Math.log(b + x - 1);
      pa = odds >= 0 ? Math.exp(-odds) / (1 + Math.exp(-odds)) : 1 / (1 + Math.exp(odds));
      const px = gg.p * x;
      const w = px / (px + gg.q - 1);
      avg = (1 - w) * popMean + w * m;
    }
    const e = h * pa;
    const c = avg * pa * k;
    if (Number.isFinite(e) && Number.isFinite(c) && Number.isFinite(avg)) {
      pAlive[i] = pa;
      expP[i] = e;
      avgV[i] = avg;
      clvO[i] = c;
      ok[i] = 1;
    } else {
      out.errors.push({
        index: i,
        reason:
          Number.isFinite(h) && Number.isFinite(k)
            ? 'result not finite (numbers out of range)'
            : 'expected purchases could not be computed accurately (2F1 series did not converge or cancelled)',
      });
      pAlive[i] = expP[i] = avgV[i] = clvO[i] = Number.NaN;
    }
  }
  out.distinctPairs = pairs.size;
  return out;
}
