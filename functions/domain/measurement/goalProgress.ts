// Progress against the program goal, from run records only: on_track / off_track / achieved / not_enough_data.
import { addDays, daysBetween } from '../night/dates.js';
import type { IsoDate } from '../types.js';
import { attritionRate } from './attrition.js';
import type { Goal } from './goalFile.js';
import { byRunDate, type NightFigures } from './nightFigures.js';
import type { GoalReport, Milepost } from './reportContract.js';

/** The "current" figure: the start nights of the last 30 days whose N-day outcome is already known. */
export const CURRENT_WINDOW_DAYS = 30;

function monthEnd(date: IsoDate): IsoDate {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** The straight line from the baseline (change 0 at its end) to the target, at the middle of [from, to]. */
function lineAt(goal: Goal, from: IsoDate, to: IsoDate): number {
  const total = daysBetween(goal.baseline.to, goal.target.by);
  const middle = (daysBetween(goal.baseline.to, from) + daysBetween(goal.baseline.to, to)) / 2;
  return goal.target.change * Math.min(1, middle / total);
}

/**
 * Milepost dates with their target change. Monthly: each month end after the baseline, and `by`.
 * A milepost's actual is the average over its period's start nights, so its target is the straight
 * line's value at the middle of the period (otherwise a shop exactly on the line would miss every milepost).
 */
export function milepostPlan(goal: Goal): { date: IsoDate; change: number }[] {
  if (goal.mileposts !== 'monthly') return goal.mileposts;
  const out: { date: IsoDate; change: number }[] = [];
  let periodStart = addDays(goal.baseline.to, 1);
  for (;;) {
    const end = [monthEnd(periodStart), goal.target.by].sort()[0] as IsoDate;
    out.push({ date: end, change: lineAt(goal, periodStart, end) });
    if (end >= goal.target.by) return out;
    periodStart = addDays(end, 1);
  }
}

/**
 * The goal's report as of `asOf` (the latest run date). A milepost's period is the start nights after
 * the previous milepost up to its date; it is closed once `asOf` reaches its date + N days.
 */
export function buildGoalReport(goal: Goal, nights: readonly NightFigures[], asOf: IsoDate): GoalReport {
  const map = byRunDate(nights);
  const days = goal.metric.days;
  const baseline = attritionRate(map, { ...goal.baseline, days });
  const targetRate = baseline.rate === null ? null : baseline.rate * (1 + goal.target.change);

  const mileposts: Milepost[] = [];
  let periodStart = addDays(goal.baseline.to, 1);
  for (const m of milepostPlan(goal)) {
    const closed = addDays(m.date, days) <= asOf;
    const measured = closed ? attritionRate(map, { from: periodStart, to: m.date, days }).rate : null;
    const target = baseline.rate === null ? Number.NaN : baseline.rate * (1 + m.change);
    mileposts.push({
      date: m.date,
      target: baseline.rate === null ? 0 : target,
      actual: measured,
      met: measured === null || baseline.rate === null ? null : measured <= target,
    });
    periodStart = addDays(m.date, 1);
  }

  // The newest start night whose outcome night has been reached.
  const lastStart = addDays(asOf, -days);
  const currentFrom = addDays(lastStart, -(CURRENT_WINDOW_DAYS - 1));
  const current =
    lastStart > goal.baseline.to
      ? attritionRate(map, {
          from: currentFrom > goal.baseline.to ? currentFrom : addDays(goal.baseline.to, 1),
          to: lastStart,
          days,
        })
      : null;

  return {
    name: goal.name,
    metric: goal.metric,
    baseline: {
      from: goal.baseline.from,
      to: goal.baseline.to,
      rate: baseline.rate,
      customers: baseline.customers,
    },
    target: { change: goal.target.change, rate: targetRate, by: goal.target.by },
    current: current && {
      from: current.from,
      to: current.to,
      rate: current.rate,
      customers: current.customers,
    },
    mileposts,
    status: goalStatus(goal, targetRate, current, mileposts),
  };
}

/**
 * achieved: the current rate is at or below the final target. Otherwise the latest closed milepost
 * decides; before the first one closes, the current rate is held against the straight line to the target.
 */
export function goalStatus(
  goal: Goal,
  targetRate: number | null,
  current: { from: IsoDate; to: IsoDate; rate: number | null } | null,
  mileposts: readonly Milepost[],
): GoalReport['status'] {
  if (targetRate === null) return 'not_enough_data';
  if (current?.rate != null && current.rate <= targetRate) return 'achieved';
  const latest = [...mileposts].reverse().find((m) => m.met !== null);
  if (latest) return latest.met ? 'on_track' : 'off_track';
  if (current?.rate == null) return 'not_enough_data';
  const baselineRate = targetRate / (1 + goal.target.change);
  const expected = baselineRate * (1 + lineAt(goal, current.from, current.to));
  return current.rate <= expected ? 'on_track' : 'off_track';
}
