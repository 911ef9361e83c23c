// The N-day attrition rate from nightly recency histograms, without any per-customer history.
// Definition and its limits: docs/goals.md.
import { RECENCY_HISTOGRAM_DAYS } from '../night/counts.js';
import { addDays, daysBetween } from '../night/dates.js';
import type { IsoDate } from '../types.js';
import { byRunDate, type NightFigures } from './nightFigures.js';

/** The longest horizon the histogram can answer: the end night needs the bins N..2N-1. */
export const MAX_ATTRITION_DAYS = Math.floor(RECENCY_HISTOGRAM_DAYS / 2);

export interface StartFigures {
  start: IsoDate;
  /** Customers with an order in the N days up to and including `start` (seen on night `start`). */
  active: number;
  /** Of those, the ones with no order in the N days after `start` (seen on night `start + N`). */
  lapsed: number;
}

export interface AttritionRate {
  from: IsoDate;
  to: IsoDate;
  /** lapsed / active, pooled over the measured start nights; null when none is measured. */
  rate: number | null;
  /** The mean number of active customers per measured start night (the size of one cohort). */
  customers: number;
  /** Start nights in [from, to] with both their own and their end night's figures. */
  measuredStarts: number;
  /** Start nights in [from, to] that lack one of the two nights (missing runs, or the end is still ahead). */
  unmeasuredStarts: number;
}

function binSum(recency: Record<string, number>, fromDay: number, toDay: number): number {
  let n = 0;
  for (let d = fromDay; d <= toDay; d++) n += recency[String(d)] ?? 0;
  return n;
}

/**
 * One start night's cohort. On night P, a customer with d = P − lastOrderDate in [0, N−1] was active
 * at P. On night P+N the same customer has d in [N, 2N−1] exactly when no order is dated in (P, P+N].
 */
export function startFigures(
  nights: ReadonlyMap<IsoDate, NightFigures>,
  start: IsoDate,
  days: number,
): StartFigures | null {
  if (!Number.isInteger(days) || days < 1 || days > MAX_ATTRITION_DAYS) {
    throw new RangeError(`attrition horizon must be a whole number of days from 1 to ${MAX_ATTRITION_DAYS}`);
  }
  const first = nights.get(start)?.recency;
  const last = nights.get(addDays(start, days))?.recency;
  if (!first || !last) return null;
  const active = binSum(first, 0, days - 1);
  // Orders imported late can put a customer on the end night who was not counted at the start;
  // the cohort cannot lose more customers than it had.
  const lapsed = Math.min(active, binSum(last, days, 2 * days - 1));
  return { start, active, lapsed };
}

/** The rate over the start nights from..to (inclusive), each followed for `days` days. */
export function attritionRate(
  nights: readonly NightFigures[] | ReadonlyMap<IsoDate, NightFigures>,
  range: { from: IsoDate; to: IsoDate; days: number },
): AttritionRate {
  const map = nights instanceof Map ? nights : byRunDate(nights as readonly NightFigures[]);
  let active = 0;
  let lapsed = 0;
  let measured = 0;
  let unmeasured = 0;
  const span = daysBetween(range.from, range.to);
  for (let i = 0; i <= span; i++) {
    const f = startFigures(map, addDays(range.from, i), range.days);
    if (!f || f.active === 0) {
      unmeasured++;
      continue;
    }
    measured++;
    active += f.active;
    lapsed += f.lapsed;
  }
  return {
    from: range.from,
    to: range.to,
    rate: active > 0 ? lapsed / active : null,
    customers: measured > 0 ? Math.round(active / measured) : 0,
    measuredStarts: measured,
    unmeasuredStarts: unmeasured,
  };
}
