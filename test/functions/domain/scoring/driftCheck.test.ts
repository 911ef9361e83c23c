// The nightly model check: a forecast at night D, closed from the aggregates at night D + 28.
import { describe, expect, it } from 'vitest';
import { syntheticCustomer } from '../../../../cli/seed/synthetic.js';
import { aggregateOrders } from '../../../../functions/domain/ingest/aggregates.js';
import { addDays } from '../../../../functions/domain/night/dates.js';
import { buildRunPlan, type NightSettings } from '../../../../functions/domain/night/plan.js';
import { DRIFT_CHECK_DAYS } from '../../../../functions/domain/scoring/index.js';

const SETTINGS: NightSettings = {
  horizonDays: 365,
  clvMonths: 12,
  monthlyDiscount: 0.01,
  globalCapDays: 7,
  globalControlPercent: 0,
  holdoutSalt: 's',
};
const NIGHT_D = '2026-10-23';
const NIGHT_DUE = addDays(NIGHT_D, DRIFT_CHECK_DAYS);
const people = Array.from({ length: 20_000 }, (_, i) =>
  syntheticCustomer(i, { customers: 20_000, seed: 5, asOf: NIGHT_DUE }),
);
const then = people.map((p) =>
  aggregateOrders(
    p.orders.filter((o) => o.date <= NIGHT_D),
    'EUR',
  ),
);
const now = people.map((p) => aggregateOrders(p.orders, 'EUR'));

function plan(runDate: string, population: typeof now, previous?: ReturnType<typeof buildRunPlan>) {
  return buildRunPlan({
    runDate,
    population,
    sampledFraction: 1,
    campaigns: [],
    settings: SETTINGS,
    previousForecast: previous?.modelCheck?.forecast ?? null,
  });
}

describe('the nightly model check', () => {
  const first = plan(NIGHT_D, then);

  it('night D stores a forecast for the cohort, due 28 days later', () => {
    const f = first.modelCheck?.forecast;
    expect(f?.dueDate).toBe(NIGHT_DUE);
    expect(f?.customers).toBe(then.filter((a) => a.purchaseDays > 0).length);
    expect(f?.notPredicted).toBe(0);
    expect(f?.futureOrders).toBe(0);
    expect(first.modelCheck?.closed).toBeNull();
  });

  it('the due night closes it with the cohort’s actual repeat purchase days (exact, from the orders)', () => {
    const closed = plan(NIGHT_DUE, now, first).modelCheck?.closed;
    // Oracle from the orders themselves: purchase days in (D, D+28] of customers who had bought by D.
    let days = 0;
    let cohort = 0;
    for (const p of people) {
      const dates = new Set(p.orders.map((o) => o.date));
      if (![...dates].some((d) => d <= NIGHT_D)) continue;
      cohort++;
      days += [...dates].filter((d) => d > NIGHT_D).length;
    }
    expect(closed?.customersNow).toBe(cohort);
    expect(closed?.actualPerCustomer).toBeCloseTo(days / cohort, 12);
    // The seeder draws from the model's own family: the forecast lands within the 20 % tolerance.
    expect(closed?.ratio).toBeGreaterThan(0.8);
    expect(closed?.ratio).toBeLessThan(1.25);
    expect(closed?.drift).toBe(false);
    expect(closed?.message).toMatch(
      /model check 2026-10-23 → 2026-11-20: predicted \d+\.\d repeat purchase days per 100 customers, actual \d+\.\d/,
    );
  });

  it('shows drift when customers stop buying (no orders in the period)', () => {
    const closed = plan(NIGHT_DUE, then, first).modelCheck?.closed;
    expect(closed?.actualPerCustomer).toBe(0);
    expect(closed?.drift).toBe(true);
    expect(closed?.message).toMatch(/off by more than 20 %/);
  });

  it('closes nothing on a night the forecast is not due', () => {
    expect(plan(addDays(NIGHT_DUE, 1), now, first).modelCheck?.closed).toBeNull();
  });

  it('a past night simulated on newer data (orders after the run date) is not closed', () => {
    const simulated = plan(NIGHT_D, now);
    expect(simulated.modelCheck?.forecast?.futureOrders).toBeGreaterThan(0);
    expect(plan(NIGHT_DUE, now, simulated).modelCheck?.closed).toBeNull();
  });
});
