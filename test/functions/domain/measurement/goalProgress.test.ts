import { describe, expect, it } from 'vitest';
import type { Goal } from '../../../../functions/domain/measurement/goalFile.js';
import { buildGoalReport, milepostPlan } from '../../../../functions/domain/measurement/goalProgress.js';
import type { NightFigures } from '../../../../functions/domain/measurement/nightFigures.js';
import { addDays, daysBetween } from '../../../../functions/domain/night/dates.js';
import type { IsoDate } from '../../../../functions/domain/types.js';

const DAYS = 30;
const goal: Goal = {
  name: 'Cut 30-day attrition',
  metric: { kind: 'attrition_rate', days: DAYS },
  baseline: { from: '2026-01-01', to: '2026-01-31' },
  target: { change: -0.25, by: '2026-04-30' },
  mileposts: 'monthly',
};

/**
 * Nights where 1000 customers are active at every start and the cohort that started on P lapses at
 * rate(P): on night Q the bin N holds the customers of the start Q−N who bought nothing since.
 */
function nightsWith(rate: (start: IsoDate) => number, from: IsoDate, to: IsoDate): NightFigures[] {
  return Array.from({ length: daysBetween(from, to) + 1 }, (_, i) => {
    const runDate = addDays(from, i);
    return {
      runDate,
      stages: {},
      recency: { '0': 1000, [String(DAYS)]: Math.round(1000 * rate(addDays(runDate, -DAYS))) },
    };
  });
}

describe('milepost plan', () => {
  it('puts a milepost at each month end on a straight line to the target', () => {
    const plan = milepostPlan(goal);
    expect(plan.map((m) => m.date)).toEqual(['2026-02-28', '2026-03-31', '2026-04-30']);
    // The target of a milepost is the line at the middle of its period (Feb 1..28: day 14.5 of 89).
    expect(plan[0]?.change).toBeCloseTo((-0.25 * 14.5) / 89, 12);
    expect(plan[2]?.change).toBeCloseTo((-0.25 * (60 + 89)) / 2 / 89, 12);
  });

  it('keeps explicit mileposts as written', () => {
    const explicit = { ...goal, mileposts: [{ date: '2026-03-15', change: -0.1 }] };
    expect(milepostPlan(explicit)).toEqual([{ date: '2026-03-15', change: -0.1 }]);
  });
});

describe('goal progress', () => {
  // A little ahead of the straight line, which reaches 0.3 after 89 days.
  const improving = (p: IsoDate) =>
    p <= '2026-01-31' ? 0.4 : 0.4 - (0.1 * daysBetween('2026-01-31', p)) / 80;

  it('is on track when each closed milepost meets its target', () => {
    const r = buildGoalReport(goal, nightsWith(improving, '2025-12-01', '2026-04-15'), '2026-04-15');
    expect(r.baseline.rate).toBeCloseTo(0.4, 3);
    expect(r.baseline.customers).toBe(1000);
    expect(r.target.rate).toBeCloseTo(0.3, 3);
    // February's starts end by 2026-03-30 (closed); March's end 2026-04-30 (still open).
    expect(r.mileposts.map((m) => m.met)).toEqual([true, null, null]);
    expect(r.mileposts[0]?.actual).toBeLessThan(0.4);
    expect(r.current).toMatchObject({ from: '2026-02-15', to: '2026-03-16', customers: 1000 });
    expect(r.status).toBe('on_track');
  });

  it('is off track when attrition stays at the baseline', () => {
    const r = buildGoalReport(
      goal,
      nightsWith(() => 0.4, '2025-12-01', '2026-04-15'),
      '2026-04-15',
    );
    expect(r.mileposts[0]).toMatchObject({ met: false });
    expect(r.status).toBe('off_track');
  });

  it('is achieved once the current rate is at or below the final target', () => {
    const r = buildGoalReport(
      goal,
      nightsWith((p) => (p <= '2026-01-31' ? 0.4 : 0.28), '2025-12-01', '2026-04-15'),
      '2026-04-15',
    );
    expect(r.status).toBe('achieved');
  });

  it('has not enough data without baseline nights, or before anything after the baseline closes', () => {
    expect(buildGoalReport(goal, [], '2026-04-15').status).toBe('not_enough_data');
    const early = buildGoalReport(
      goal,
      nightsWith(() => 0.4, '2025-12-01', '2026-02-20'),
      '2026-02-20',
    );
    expect(early.baseline.rate).toBeCloseTo(0.4, 3);
    expect(early.current).toBeNull();
    expect(early.status).toBe('not_enough_data');
  });

  it('judges against the straight line before the first milepost closes', () => {
    const nights = nightsWith((p) => (p <= '2026-01-31' ? 0.4 : 0.39), '2025-12-01', '2026-03-20');
    const r = buildGoalReport(goal, nights, '2026-03-20');
    expect(r.mileposts.every((m) => m.met === null)).toBe(true);
    expect(r.status).toBe('off_track');
    const better = nightsWith((p) => (p <= '2026-01-31' ? 0.4 : 0.35), '2025-12-01', '2026-03-20');
    expect(buildGoalReport(goal, better, '2026-03-20').status).toBe('on_track');
  });
});
