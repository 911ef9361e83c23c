// Signals: what changed for a customer since the previous night. Each fires once per occurrence.
import { z } from 'zod';
import type { ClvTier, IsoDate, LifeStage, Signal } from '../types.js';
import { anniversaryDay, fromDay, toDay } from './dates.js';
import { CLV_TIER_RANK } from './tiers.js';

const LIFE_STAGE = z.enum(['prospect', 'new', 'active', 'at_risk', 'lapsed', 'reactivated', 'vip']);
const CLV_TIER = z.enum(['low', 'medium', 'high', 'top']);

/** Stored on the customer record between nights (small, JSON). */
export const SignalStateSchema = z.object({
  runDate: z.string(),
  lifeStage: LIFE_STAGE.nullable(),
  clvTier: CLV_TIER.nullable(),
  pAlive: z.number().min(0).max(1).nullable(),
  /** Keys of life events already fired: "birthday:2026", "signup_anniversary:2027", "tenure:365". */
  fired: z.array(z.string()),
});
export type SignalState = z.infer<typeof SignalStateSchema>;

export const SignalConfigSchema = z.object({
  /** P(alive) thresholds; crossing below one fires p_alive_below on that night. */
  pAliveThresholds: z.array(z.number().gt(0).lt(1)),
  /** Birthday / anniversary signals fire on the first run within this many days before the date. */
  birthdayDays: z.number().int().min(0).max(180),
  anniversaryDays: z.number().int().min(0).max(180),
  /** Tenure milestones in days since the first order. */
  tenureMilestones: z.array(z.number().int().positive()),
  /** A milestone reached while runs were skipped still fires if at most this many days late. */
  milestoneLateDays: z.number().int().nonnegative(),
});
export type SignalConfig = z.infer<typeof SignalConfigSchema>;

export const DEFAULT_SIGNAL_CONFIG: SignalConfig = {
  pAliveThresholds: [0.5, 0.2],
  birthdayDays: 7,
  anniversaryDays: 7,
  tenureMilestones: [100, 365, 730, 1000],
  milestoneLateDays: 30,
};

export interface SignalInput {
  lifeStage: LifeStage;
  clvTier: ClvTier | null;
  pAlive: number | null;
  birthDate?: IsoDate | undefined;
  signupDate?: IsoDate | undefined;
  firstOrderDate?: IsoDate | undefined;
}

function parseIso(d: IsoDate): { y: number; m: number; d: number } {
  toDay(d); // validates
  return { y: Number(d.slice(0, 4)), m: Number(d.slice(5, 7)), d: Number(d.slice(8, 10)) };
}

/**
 * The next occurrence of a yearly date within [runDay, runDay + windowDays] (years after `minYear`),
 * or null. Feb 29 is celebrated on Feb 28 in non-leap years.
 */
function upcoming(
  date: IsoDate,
  runDay: number,
  runYear: number,
  windowDays: number,
  minYearOffset: number,
): { year: number; day: number } | null {
  const { y, m, d } = parseIso(date);
  for (const year of [runYear, runYear + 1]) {
    if (year - y < minYearOffset) continue;
    const day = anniversaryDay(year, m, d);
    if (day >= runDay && day - runDay <= windowDays) return { year, day };
  }
  return null;
}

/**
 * Computes tonight's signals and the state to store. Rules:
 * - previous null (first night): no transition signals; life events in their window fire.
 * - stage_changed / clv_tier_changed: the stored value differs from tonight's.
 * - p_alive_below: stored P(alive) >= threshold and tonight's < threshold (the crossing night only).
 * - birthday / anniversaries: first run within `N` days before the date (fires once per year,
 *   so a skipped night inside the window is caught up by the next run).
 * - tenure_milestone: first run on or after the milestone, at most `milestoneLateDays` late.
 */
export function detectSignals(
  previous: SignalState | null,
  current: SignalInput,
  runDate: IsoDate,
  config: SignalConfig = DEFAULT_SIGNAL_CONFIG,
): { signals: Signal[]; state: SignalState } {
  const runDay = toDay(runDate, 'run date');
  const runYear = Number(runDate.slice(0, 4));
  const signals: Signal[] = [];
  const fired = new Set(previous?.fired ?? []);
  if (previous) {
    if (previous.lifeStage && previous.lifeStage !== current.lifeStage)
      signals.push({ type: 'stage_changed', from: previous.lifeStage, to: current.lifeStage });
    if (previous.pAlive !== null && current.pAlive !== null) {
      for (const th of [...config.pAliveThresholds].sort((a, b) => b - a)) {
        if (previous.pAlive >= th && current.pAlive < th)
          signals.push({ type: 'p_alive_below', threshold: th });
      }
    }
    if (previous.clvTier && current.clvTier && previous.clvTier !== current.clvTier) {
      signals.push({
        type: 'clv_tier_changed',
        from: previous.clvTier,
        to: current.clvTier,
        direction: CLV_TIER_RANK[current.clvTier] > CLV_TIER_RANK[previous.clvTier] ? 'up' : 'down',
      });
    }
  }
  if (current.birthDate) {
    const u = upcoming(current.birthDate, runDay, runYear, config.birthdayDays, 0);
    const key = u ? `birthday:${u.year}` : '';
    if (u && !fired.has(key)) {
      fired.add(key);
      signals.push({ type: 'birthday', inDays: u.day - runDay, date: fromDay(u.day) });
    }
  }
  for (const [type, date] of [
    ['signup_anniversary', current.signupDate],
    ['first_order_anniversary', current.firstOrderDate],
  ] as const) {
    if (!date) continue;
    const u = upcoming(date, runDay, runYear, config.anniversaryDays, 1);
    const key = u ? `${type}:${u.year}` : '';
    if (u && !fired.has(key)) {
      fired.add(key);
      const years = u.year - Number(date.slice(0, 4));
      signals.push({ type, years, inDays: u.day - runDay, date: fromDay(u.day) });
    }
  }
  if (current.firstOrderDate) {
    const tenure = runDay - toDay(current.firstOrderDate, 'firstOrderDate');
    for (const ms of config.tenureMilestones) {
      const key = `tenure:${ms}`;
      if (tenure >= ms && tenure - ms <= config.milestoneLateDays && !fired.has(key)) {
        fired.add(key);
        signals.push({ type: 'tenure_milestone', days: ms });
      }
    }
  }
  // Keep the state small: yearly keys older than last year can never fire again.
  const keep = [...fired].filter((k) => {
    const [kind, v] = k.split(':');
    return kind === 'tenure' || Number(v) >= runYear - 1;
  });
  return {
    signals,
    state: {
      runDate,
      lifeStage: current.lifeStage,
      clvTier: current.clvTier,
      pAlive: current.pAlive,
      fired: keep.sort(),
    },
  };
}
