// Calibration/holdout validation of BG/NBD, the way Fader, Hardie & Lee (2005, section 5) validate it:
// fit on the calibration period, predict each customer's repeat purchases in the holdout period, and
// compare with what they did. Pure: purchase days in, figures out.
import type { ModelReport } from '../measurement/reportContract.js';
import type { IsoDate } from '../types.js';
import { bgnbdConditionalExpectedPurchases, bgnbdExpectedPurchases, bgnbdStats } from './bgnbd.js';
import { dayNumber, fromDay } from './dates.js';
import { describeFit, fitBgNbdRobust } from './robustFit.js';
import { DAYS_PER_UNIT, type TimeUnit } from './summary.js';

export interface EvaluateOptions {
  calibrationEnd: IsoDate;
  holdoutEnd: IsoDate;
  /** Time unit of the fit (default week, as in the paper); the tracking is always weekly. */
  timeUnit?: TimeUnit;
  penalizer?: number;
  /** The night the check belongs to (default: the holdout end). */
  runDate?: IsoDate;
}

/** Customers' purchase days (day numbers, see dates.ts); several purchases on one day count once. */
export class PurchaseDays {
  readonly byCustomer = new Map<string, Set<number>>();
  add(customerId: string, day: number): void {
    let s = this.byCustomer.get(customerId);
    if (!s) {
      s = new Set();
      this.byCustomer.set(customerId, s);
    }
    s.add(day);
  }
}

/** Frequency buckets of the conditional-expectation table (the paper's Figure 4: 0, 1, …, 6, 7+). */
const TOP_BUCKET = 7;

function checkedDay(date: IsoDate, option: string): number {
  const d = dayNumber(date);
  if (Number.isNaN(d))
    throw new Error(`${option}: invalid date ${JSON.stringify(date)} (expected YYYY-MM-DD)`);
  return d;
}

/**
 * Fits BG/NBD on the purchases up to `calibrationEnd` (customers whose first purchase is after it are
 * not in the cohort and are left out) and predicts (calibrationEnd, holdoutEnd]. Purchases after the
 * holdout end are ignored. Throws on bad dates or an empty cohort.
 */
export function evaluateModel(purchases: PurchaseDays, options: EvaluateOptions): ModelReport {
  const unit = options.timeUnit ?? 'week';
  const perUnit = DAYS_PER_UNIT[unit];
  const calEnd = checkedDay(options.calibrationEnd, '--calibration-end');
  const holdEnd = checkedDay(options.holdoutEnd, '--holdout-end');
  if (!(holdEnd > calEnd))
    throw new Error(
      `--holdout-end (${options.holdoutEnd}) must be after --calibration-end (${options.calibrationEnd})`,
    );
  const firsts: number[] = [];
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const actual: number[] = [];
  const repeatDays: number[] = [];
  let lateCohort = 0;
  let afterHoldout = 0;
  for (const days of purchases.byCustomer.values()) {
    const sorted = [...days].sort((p, q) => p - q);
    const first = sorted[0] as number;
    if (first > calEnd) {
      lateCohort++;
      continue;
    }
    let last = first;
    let calRepeats = 0;
    let holdRepeats = 0;
    for (let k = 1; k < sorted.length; k++) {
      const d = sorted[k] as number;
      if (d <= calEnd) {
        calRepeats++;
        last = d;
        repeatDays.push(d);
      } else if (d <= holdEnd) {
        holdRepeats++;
        repeatDays.push(d);
      } else afterHoldout++;
    }
    firsts.push(first);
    x.push(calRepeats);
    tx.push((last - first) / perUnit);
    T.push((calEnd - first) / perUnit);
    actual.push(holdRepeats);
  }
  const n = x.length;
  if (n === 0)
    throw new Error(
      `no customer made a first purchase on or before --calibration-end ${options.calibrationEnd}`,
    );

  const fit = fitBgNbdRobust(bgnbdStats(x, tx, T), options.penalizer ? { penalizer: options.penalizer } : {});
  const horizon = (holdEnd - calEnd) / perUnit;
  const predicted = new Float64Array(n);
  let absErr = 0;
  let sqErr = 0;
  let baseAbs = 0;
  let baseSq = 0;
  let notPredicted = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const Ti = T[i] as number;
    const p = bgnbdConditionalExpectedPurchases(fit.params, horizon, xi, tx[i] as number, Ti);
    const a = actual[i] as number;
    // Naive baseline: the customer's own calibration repeat rate carried forward.
    const naive = Ti > 0 ? (xi / Ti) * horizon : 0;
    if (!Number.isFinite(p)) notPredicted++;
    const pi = Number.isFinite(p) ? p : naive;
    predicted[i] = pi;
    absErr += Math.abs(pi - a);
    sqErr += (pi - a) ** 2;
    baseAbs += Math.abs(naive - a);
    baseSq += (naive - a) ** 2;
  }
  const mae = absErr / n;
  const rmse = Math.sqrt(sqErr / n);
  const baseline = { mae: baseAbs / n, rmse: Math.sqrt(baseSq / n) };

  const conditional: ModelReport['conditional'] = [];
  for (let b = 0; b <= TOP_BUCKET; b++) {
    let count = 0;
    let sumA = 0;
    let sumP = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      if (b === TOP_BUCKET ? xi < TOP_BUCKET : xi !== b) continue;
      count++;
      sumA += actual[i] as number;
      sumP += predicted[i] as number;
    }
    conditional.push({
      frequency: b === TOP_BUCKET ? `${TOP_BUCKET}+` : String(b),
      customers: count,
      actual: count > 0 ? sumA / count : 0,
      predicted: count > 0 ? sumP / count : 0,
    });
  }

  const tracking = weeklyTracking(fit.params, firsts, repeatDays, calEnd, holdEnd, perUnit);
  let totalActual = 0;
  let totalPredicted = 0;
  for (let i = 0; i < n; i++) {
    totalActual += actual[i] as number;
    totalPredicted += predicted[i] as number;
  }

  const warnings = [...describeFit(fit, n).warnings];
  const beatsBaseline = mae < baseline.mae && rmse < baseline.rmse;
  if (!beatsBaseline)
    warnings.push(
      `the model does not beat the naive baseline (each customer's own past rate): MAE ${mae.toFixed(3)} vs ${baseline.mae.toFixed(3)}, RMSE ${rmse.toFixed(3)} vs ${baseline.rmse.toFixed(3)}`,
    );
  if (lateCohort > 0)
    warnings.push(`${lateCohort} customers first bought after the calibration end and are not evaluated`);
  if (afterHoldout > 0) warnings.push(`${afterHoldout} purchase days after the holdout end were ignored`);
  if (notPredicted > 0)
    warnings.push(`${notPredicted} customers could not be predicted; the naive rate stands in for them`);

  return {
    runDate: options.runDate ?? fromDay(holdEnd),
    calibrationEnd: fromDay(calEnd),
    holdoutEnd: fromDay(holdEnd),
    customers: n,
    mae,
    rmse,
    baseline,
    beatsBaseline,
    tracking,
    conditional,
    warnings,
    timeUnit: unit,
    holdoutLength: horizon,
    parameters: { ...fit.params, logLikelihood: fit.logLikelihood },
    fitMethod: fit.method,
    holdoutTotals: { actual: totalActual, predicted: totalPredicted },
  };
}

/**
 * Cumulative repeat purchases at the end of each week since the cohort's first purchase day, actual
 * against the model's unconditional expectation Σ_i E[X(elapsed_i)] (the paper's Figure 3). Week k
 * covers days [7(k-1), 7k) from the start; the last point ends at the holdout end.
 */
function weeklyTracking(
  params: { r: number; alpha: number; a: number; b: number },
  firsts: number[],
  repeatDays: number[],
  calEnd: number,
  holdEnd: number,
  perUnit: number,
): ModelReport['tracking'] {
  let start = Number.POSITIVE_INFINITY;
  for (const f of firsts) start = Math.min(start, f);
  const span = holdEnd - start + 1;
  const weeks = Math.ceil(span / 7);
  // Customers acquired on the same day share one curve.
  const cohort = new Map<number, number>();
  for (const f of firsts) cohort.set(f - start, (cohort.get(f - start) ?? 0) + 1);
  const perDay = new Float64Array(span);
  for (const d of repeatDays) perDay[d - start] = (perDay[d - start] as number) + 1;
  const out: ModelReport['tracking'] = [];
  let cum = 0;
  let day = 0;
  for (let k = 1; k <= weeks; k++) {
    const end = Math.min(7 * k, span);
    for (; day < end; day++) cum += perDay[day] as number;
    let pred = 0;
    for (const [s, count] of cohort) {
      // Observed through day end - 1; a customer acquired on day s has been watched (end - 1 - s) days.
      const elapsed = end - 1 - s;
      if (elapsed > 0) pred += count * bgnbdExpectedPurchases(params, elapsed / perUnit);
    }
    out.push({
      week: k,
      actual: cum,
      predicted: pred,
      period: start + end - 1 <= calEnd ? 'calibration' : 'holdout',
    });
  }
  return out;
}
