import { describe, expect, it } from 'vitest';
import { Random } from '../../../../cli/seed/random.js';
import { type ArmSums, compareArms } from '../../../../functions/domain/measurement/compareArms.js';
import { twoSidedZ } from '../../../../functions/domain/measurement/distributions.js';
import { newcombeInterval } from '../../../../functions/domain/measurement/newcombe.js';
import { sampleSizePerGroup } from '../../../../functions/domain/measurement/power.js';

/** Sums of one arm from each customer's attributed revenue (0 for non-converters). */
function arm(revenues: number[], ordersPerConverter = 1): ArmSums {
  const converters = revenues.filter((r) => r > 0).length;
  return {
    customers: revenues.length,
    converters,
    orders: converters * ordersPerConverter,
    revenue: revenues.reduce((s, r) => s + r, 0),
    revenueSumSquares: revenues.reduce((s, r) => s + r * r, 0),
  };
}

function simulatedArm(rng: Random, customers: number, rate: number, meanOrder: number): number[] {
  return Array.from({ length: customers }, () => (rng.chance(rate) ? rng.gamma(4, 4 / meanOrder) : 0));
}

/** Every number anywhere in the result is finite (JSON would turn NaN and Infinity into null). */
function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value).every(allFinite);
}

const zeros = (n: number) => new Array<number>(n).fill(0);

describe('compareArms', () => {
  it('a clear effect: figures, Newcombe rate interval, Welch revenue interval, incremental totals', () => {
    const rng = new Random(7);
    const t = simulatedArm(rng, 9000, 0.08, 60);
    const c = simulatedArm(rng, 1000, 0.05, 60);
    const r = compareArms(arm(t), arm(c));
    expect(r.treatment.customers).toBe(9000);
    expect(r.treatment.conversionRate).toBeCloseTo(r.treatment.converters / 9000, 15);
    expect(r.holdout.revenuePerCustomer).toBeCloseTo(r.holdout.revenue / 1000, 12);
    const expected = newcombeInterval(
      r.treatment.converters,
      9000,
      r.holdout.converters,
      1000,
      twoSidedZ(0.95),
    );
    expect(r.uplift?.conversionRate.absolute).toBeCloseTo(expected.estimate, 15);
    expect(r.uplift?.conversionRate.ciLow).toBeCloseTo(expected.low, 15);
    expect(r.uplift?.conversionRate.ciHigh).toBeCloseTo(expected.high, 15);
    expect(r.uplift?.conversionRate.relative).toBeCloseTo(expected.estimate / r.holdout.conversionRate, 12);
    expect(r.verdict).toBe('significant');
    expect(r.neededPerGroup).toBeNull();
    // Incremental figures are the per-customer effect times the treated customers.
    expect(r.incrementalConversions?.estimate).toBeCloseTo(expected.estimate * 9000, 9);
    expect(r.incrementalConversions?.ciLow).toBeCloseTo(expected.low * 9000, 9);
    const rpc = r.uplift!.revenuePerCustomer;
    expect(rpc.absolute).toBeCloseTo(r.treatment.revenuePerCustomer - r.holdout.revenuePerCustomer, 9);
    expect(rpc.ciLow).toBeLessThan(rpc.absolute);
    expect(rpc.ciHigh).toBeGreaterThan(rpc.absolute);
    expect(r.incrementalRevenue?.ciHigh).toBeCloseTo(rpc.ciHigh * 9000, 6);
  });

  it('the revenue interval is the Welch interval of the per-customer revenues', () => {
    // Two-pass textbook variance on the raw values, independent of the sums the report keeps.
    const t = [0, 0, 0, 50, 0, 120, 0, 0, 30, 0, 0, 0];
    const c = [0, 0, 40, 0, 0, 0, 0, 0];
    const mean = (g: number[]) => g.reduce((s, x) => s + x, 0) / g.length;
    const variance = (g: number[]) => g.reduce((s, x) => s + (x - mean(g)) ** 2, 0) / (g.length - 1);
    const vt = variance(t) / t.length;
    const vc = variance(c) / c.length;
    const df = (vt + vc) ** 2 / (vt ** 2 / (t.length - 1) + vc ** 2 / (c.length - 1));
    // By hand: vt = 1315.15/12 = 109.60, vc = 200/8 = 25, df = 134.60² / (109.60²/11 + 25²/7) = 15.34.
    expect(df).toBeCloseTo(15.34, 2);
    const r = compareArms(arm(t), arm(c));
    const half = r.uplift!.revenuePerCustomer.ciHigh - r.uplift!.revenuePerCustomer.absolute;
    expect(r.uplift!.revenuePerCustomer.absolute).toBeCloseTo(mean(t) - mean(c), 12);
    // t(0.975, 15.34) lies between the table values for 16 (2.1199) and 15 (2.1314) df.
    const tCrit = half / Math.sqrt(vt + vc);
    expect(tCrit).toBeGreaterThan(2.1199);
    expect(tCrit).toBeLessThan(2.1314);
  });

  it('a small effect on a big enough test is not significant, with the sample size that would show it', () => {
    const r = compareArms(
      { customers: 1000, converters: 52, orders: 60, revenue: 3120, revenueSumSquares: 3120 * 60 },
      { customers: 1000, converters: 50, orders: 55, revenue: 3000, revenueSumSquares: 3000 * 60 },
    );
    expect(r.verdict).toBe('not_significant');
    expect(r.uplift!.conversionRate.ciLow).toBeLessThan(0);
    expect(r.uplift!.conversionRate.ciHigh).toBeGreaterThan(0);
    expect(r.neededPerGroup).toBe(Math.ceil(sampleSizePerGroup(0.05, 0.052)));
  });

  it('a significant harm is significant too (the interval excludes 0 below)', () => {
    const r = compareArms(
      arm([...zeros(1900), ...new Array(100).fill(10)]),
      arm([...zeros(800), ...new Array(200).fill(10)]),
    );
    expect(r.uplift!.conversionRate.ciHigh).toBeLessThan(0);
    expect(r.verdict).toBe('significant');
  });

  it('0 % holdout: no uplift, insufficient data, and the holdout size a test would need', () => {
    const r = compareArms(arm([...zeros(950), ...new Array(50).fill(20)]), arm([]));
    expect(r.holdout).toEqual({
      customers: 0,
      converters: 0,
      conversionRate: 0,
      orders: 0,
      revenue: 0,
      revenuePerCustomer: 0,
    });
    expect(r.uplift).toBeNull();
    expect(r.incrementalConversions).toBeNull();
    expect(r.incrementalRevenue).toBeNull();
    expect(r.verdict).toBe('insufficient_data');
    expect(r.neededPerGroup).toBe(Math.ceil(sampleSizePerGroup(0.05, 0.06)));
    expect(allFinite(r)).toBe(true);
  });

  it('both arms empty: nothing to say, and nothing NaN', () => {
    const r = compareArms(arm([]), arm([]));
    expect(r).toMatchObject({ uplift: null, verdict: 'insufficient_data', neededPerGroup: null });
    expect(allFinite(r)).toBe(true);
  });

  it('tiny groups: an interval, but insufficient data below the minimum arm size', () => {
    const r = compareArms(arm([10, 10, 10, 10, 0]), arm([0, 0, 0, 0, 0]));
    expect(r.uplift).not.toBeNull();
    expect(r.verdict).toBe('insufficient_data');
    expect(allFinite(r)).toBe(true);
    expect(compareArms(arm([10]), arm([0, 0])).uplift).toBeNull(); // one customer: no variance
    expect(compareArms(arm([10, 10, 10, 10, 0]), arm(zeros(5)), { minCustomersPerArm: 5 }).verdict).toBe(
      'significant',
    );
  });

  it('no orders at all: zero uplift, a point revenue interval, insufficient data, sample size for the MDE', () => {
    const r = compareArms(arm(zeros(5000)), arm(zeros(500)));
    expect(r.uplift!.conversionRate.absolute).toBe(0);
    expect(r.uplift!.conversionRate.relative).toBeNull();
    expect(r.uplift!.conversionRate.ciLow).toBeLessThan(0);
    expect(r.uplift!.revenuePerCustomer).toEqual({ absolute: 0, ciLow: 0, ciHigh: 0 });
    expect(r.verdict).toBe('insufficient_data');
    expect(r.neededPerGroup).toBe(Math.ceil(sampleSizePerGroup(0, 0.01)));
    expect(allFinite(r)).toBe(true);
  });

  it('everyone converted: no NaN, not significant, and the MDE taken downwards from 100 %', () => {
    const r = compareArms(arm(new Array(200).fill(25)), arm(new Array(50).fill(25)));
    expect(r.uplift!.conversionRate).toEqual({
      absolute: 0,
      relative: 0,
      ciLow: r.uplift!.conversionRate.ciLow,
      ciHigh: r.uplift!.conversionRate.ciHigh,
    });
    expect(r.verdict).toBe('not_significant');
    expect(r.neededPerGroup).toBe(Math.ceil(sampleSizePerGroup(1, 0.99)));
    expect(allFinite(r)).toBe(true);
  });

  it('a higher confidence widens the intervals', () => {
    const t = arm([...zeros(900), ...new Array(100).fill(30)]);
    const c = arm([...zeros(940), ...new Array(60).fill(30)]);
    const r95 = compareArms(t, c);
    const r99 = compareArms(t, c, { confidence: 0.99 });
    expect(r99.uplift!.conversionRate.ciLow).toBeLessThan(r95.uplift!.conversionRate.ciLow);
    expect(r99.uplift!.revenuePerCustomer.ciHigh).toBeGreaterThan(r95.uplift!.revenuePerCustomer.ciHigh);
    expect(() => compareArms(t, c, { confidence: 95 })).toThrow(/0.95, not 95/);
  });

  it('rejects sums that cannot come from real customers, naming the arm and field', () => {
    const ok = arm([0, 10, 0]);
    expect(() => compareArms({ ...ok, converters: 4 }, ok)).toThrow(
      /treatment.converters \(4\) exceeds customers \(3\)/,
    );
    expect(() => compareArms(ok, { ...ok, customers: 2.5 })).toThrow(/control.customers must be an integer/);
    expect(() => compareArms(ok, { ...ok, revenueSumSquares: 1 })).toThrow(
      /control.revenueSumSquares .* below revenue²/,
    );
    expect(() => compareArms(ok, { ...ok, revenue: Number.NaN })).toThrow(
      /control.revenue must be a finite number/,
    );
    expect(() => compareArms({ ...arm([]), orders: 1 }, ok)).toThrow(/treatment has no customers but has/);
  });

  it('the needed sample size delivers about 80 % power (seeded simulation)', () => {
    // 0.10 against 0.15: n per group from the formula; simulate 1,000 experiments of that size and
    // count the significant verdicts. Binomial sd of the share at 0.8 over 1,000 runs is 0.013.
    const n = Math.ceil(sampleSizePerGroup(0.1, 0.15));
    const rng = new Random(2026);
    let significant = 0;
    const runs = 1000;
    const sums = (rate: number): ArmSums => {
      let converters = 0;
      for (let i = 0; i < n; i++) if (rng.chance(rate)) converters++;
      return {
        customers: n,
        converters,
        orders: converters,
        revenue: converters * 10,
        revenueSumSquares: converters * 100,
      };
    };
    for (let i = 0; i < runs; i++) {
      if (compareArms(sums(0.15), sums(0.1)).verdict === 'significant') significant++;
    }
    expect(significant / runs).toBeGreaterThan(0.75);
    expect(significant / runs).toBeLessThan(0.85);
  });
});
