// The night's model check: does last month's forecast match what customers then did?
//
// The night has per-customer aggregates only, no orders. What can honestly be compared: at night D, the
// cohort of customers with a first order on or before D, their total purchase days so far, and the
// model's expected repeat purchase days over the next H days. At night D + H the same cohort (the same
// first-order rule; the Prepare sample takes the same scan segments every night, and per-customer means
// absorb a change in how many segments were read) has its total purchase days again; the growth is what
// the cohort actually bought in (D, D + H]. Purchase days only grow, so this is exact when the sample is
// the same customers, up to orders dated in the period but imported after night D + H (they count at
// the next check instead) and orders dated on or before D but imported after it (they count as the
// period's). Per frequency bucket it cannot be done: a customer's bucket at D is not recoverable from
// the aggregates at D + H.
import type { IsoDate, PurchaseAggregates } from '../types.js';
import { type BgNbdParams, bgnbdConditionalNumerator, bgnbdPAlive } from './bgnbd.js';
import { dayNumber, fromDay } from './dates.js';
import { KeyIndex } from './keyindex.js';
import { summarizeAggregates } from './summary.js';

/** Length of the checked period, days. */
export const DRIFT_CHECK_DAYS = 28;
/** A forecast off by more than this share of the actual is flagged. */
export const DRIFT_TOLERANCE = 0.2;

export interface CohortForecast {
  runDate: IsoDate;
  horizonDays: number;
  /** The night whose Prepare closes this forecast. */
  dueDate: IsoDate;
  customers: number;
  /** Σ purchase days of the cohort on the forecast night. */
  purchaseDays: number;
  /** Σ expected repeat purchase days over the horizon. */
  predicted: number;
  /** Customers the model could not predict (left out of all three sums). */
  notPredicted: number;
  /**
   * Customers with orders dated after the forecast night (a past night simulated on newer data): their
   * state on that night is unknown, so the forecast cannot be closed honestly and is not.
   */
  futureOrders: number;
}

export interface DriftCheck {
  forecastDate: IsoDate;
  closedDate: IsoDate;
  days: number;
  customersThen: number;
  customersNow: number;
  /** Repeat purchase days per cohort customer over the period. */
  predictedPerCustomer: number;
  actualPerCustomer: number;
  /** predicted / actual (null when nothing was bought). */
  ratio: number | null;
  drift: boolean;
  message: string;
}

function inCohort(agg: PurchaseAggregates, runDate: IsoDate): boolean {
  return agg.purchaseDays > 0 && agg.firstOrderDate !== undefined && agg.firstOrderDate <= runDate;
}

/** Tonight's forecast for the cohort (time unit day, as the night fits). */
export function cohortForecast(
  params: BgNbdParams,
  population: readonly PurchaseAggregates[],
  runDate: IsoDate,
  horizonDays = DRIFT_CHECK_DAYS,
): CohortForecast {
  const memo = new KeyIndex(2, 4096);
  const numerators: number[] = [];
  let customers = 0;
  let purchaseDays = 0;
  let predicted = 0;
  let notPredicted = 0;
  let futureOrders = 0;
  for (const agg of population) {
    if (!inCohort(agg, runDate)) continue;
    if ((agg.lastOrderDate ?? '') > runDate) {
      futureOrders++;
      continue;
    }
    const s = summarizeAggregates(agg, runDate, 'day');
    if (!s) continue;
    const before = memo.size;
    const id = memo.add(s.frequency, s.T);
    // Ids are dense: a new pair gets id = numerators.length.
    if (id === before) numerators.push(bgnbdConditionalNumerator(params, s.frequency, s.T, horizonDays));
    const e = (numerators[id] as number) * bgnbdPAlive(params, s.frequency, s.recency, s.T);
    if (!Number.isFinite(e)) {
      notPredicted++;
      continue;
    }
    customers++;
    purchaseDays += agg.purchaseDays;
    predicted += e;
  }
  const due = fromDay(dayNumber(runDate) + horizonDays);
  return {
    runDate,
    horizonDays,
    dueDate: due,
    customers,
    purchaseDays,
    predicted,
    notPredicted,
    futureOrders,
  };
}

/** Closes a forecast on its due night from that night's sample; null when it is not due tonight. */
export function closeDriftCheck(
  forecast: CohortForecast,
  population: readonly PurchaseAggregates[],
  runDate: IsoDate,
): DriftCheck | null {
  if (forecast.dueDate !== runDate || forecast.customers === 0 || forecast.futureOrders > 0) return null;
  let customers = 0;
  let purchaseDays = 0;
  for (const agg of population) {
    if (!inCohort(agg, forecast.runDate)) continue;
    customers++;
    purchaseDays += agg.purchaseDays;
  }
  if (customers === 0) return null;
  const predictedPerCustomer = forecast.predicted / forecast.customers;
  const actualPerCustomer = Math.max(
    0,
    purchaseDays / customers - forecast.purchaseDays / forecast.customers,
  );
  const ratio = actualPerCustomer > 0 ? predictedPerCustomer / actualPerCustomer : null;
  const drift = ratio === null ? predictedPerCustomer > 0 : Math.abs(ratio - 1) > DRIFT_TOLERANCE;
  const per100 = (v: number) => (v * 100).toFixed(1);
  const message =
    `model check ${forecast.runDate} → ${runDate}: predicted ${per100(predictedPerCustomer)} repeat purchase days per 100 customers, actual ${per100(actualPerCustomer)}` +
    (ratio === null ? '' : ` (${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(0)} %)`) +
    (drift
      ? `: the model is off by more than ${DRIFT_TOLERANCE * 100} %, do not trust tonight's expected purchases blindly`
      : '');
  return {
    forecastDate: forecast.runDate,
    closedDate: runDate,
    days: forecast.horizonDays,
    customersThen: forecast.customers,
    customersNow: customers,
    predictedPerCustomer,
    actualPerCustomer,
    ratio,
    drift,
    message,
  };
}
