// Issue 13 "Robust on real data": the small shop that used to end "could not be scored" for everyone,
// the constant-dropout fallback, the limit form of the conditional expectation, and the seeder.
import { describe, expect, it } from 'vitest';
import { SMALL_SHOP_RUN_DATE, smallShopOrders } from '../../../../cli/seed/smallShop.js';
import { syntheticCustomer } from '../../../../cli/seed/synthetic.js';
import { aggregateOrders } from '../../../../functions/domain/ingest/aggregates.js';
import { buildRunPlan, type NightSettings } from '../../../../functions/domain/night/plan.js';
import {
  type BgNbdParams,
  bgnbdConditionalNumerator,
  bgnbdLogLikelihood,
  bgnbdNumeratorByQuadrature,
  bgnbdStats,
  DEGENERATE_AB,
  fitBgNbd,
  fitBgNbdRobust,
  fitModels,
  scoreBatch,
  scoreCustomer,
  summarizeAggregates,
  summarizeTransactions,
} from '../../../../functions/domain/scoring/index.js';
import type { RfmSummary } from '../../../../functions/domain/types.js';
import { summaryCsv } from './fixtures.js';

const SETTINGS: NightSettings = {
  horizonDays: 365,
  clvMonths: 12,
  monthlyDiscount: 0.01,
  globalCapDays: 7,
  globalControlPercent: 0,
  holdoutSalt: 's',
};

function shopSummaries(): RfmSummary[] {
  const orders = smallShopOrders();
  return [...summarizeTransactions(orders, SMALL_SHOP_RUN_DATE, 'day').values()];
}

function columns(list: RfmSummary[]) {
  return {
    frequency: Float64Array.from(list, (s) => s.frequency),
    recency: Float64Array.from(list, (s) => s.recency),
    T: Float64Array.from(list, (s) => s.T),
    monetaryValue: Float64Array.from(list, (s) => s.monetaryValue),
  };
}

describe('the small shop (150 customers, 1-3 orders in 2025, scored 2026-11-20)', () => {
  const shop = shopSummaries();

  it('is the case of the issue: deterministic, 150 customers, at most 2 repeat days, the plain MLE runs off to a, b → ∞', () => {
    expect(shop).toHaveLength(150);
    expect(Math.max(...shop.map((s) => s.frequency))).toBe(2);
    expect(shopSummaries()).toEqual(shop);
    const mle = fitBgNbd(
      bgnbdStats(...(Object.values(columns(shop)).slice(0, 3) as [Float64Array, Float64Array, Float64Array])),
    );
    expect(mle.a).toBeGreaterThan(DEGENERATE_AB);
    expect(mle.b).toBeGreaterThan(DEGENERATE_AB);
  });

  it('fits the constant-dropout limit instead, says so, and gives standard errors', () => {
    const p = fitModels(shop, { timeUnit: 'day' });
    expect(p.fit?.method).toBe('constant_dropout_limit');
    const d = p.fit?.dropoutProbability as number;
    expect(d).toBeGreaterThan(0.5);
    expect(d).toBeLessThan(0.85);
    const se = p.fit?.standardErrors;
    expect(se?.dropout).toBeGreaterThan(0);
    expect(se?.dropout).toBeLessThan(0.2);
    expect(se?.r).toBeGreaterThan(0);
    const text = p.fit?.warnings.join('\n') ?? '';
    expect(text).toMatch(/only 150 customers/);
    expect(text).toMatch(/very regular/);
    expect(text).toMatch(/same probability 0\.\d{3}/);
    expect(text).toMatch(/Gamma-Gamma q → ∞/);
  });

  it('the limit has the likelihood the MLE was climbing towards', () => {
    const s = bgnbdStats(
      Float64Array.from(shop, (c) => c.frequency),
      Float64Array.from(shop, (c) => c.recency),
      Float64Array.from(shop, (c) => c.T),
    );
    const mle = fitBgNbd(s);
    const robust = fitBgNbdRobust(s);
    // Same model family at infinity: the likelihoods agree to ~1e-7 relative; the limit's own value
    // matches the general formula evaluated at its (finite) a, b.
    expect(Math.abs(robust.logLikelihood / mle.logLikelihood - 1)).toBeLessThan(1e-6);
    const d = robust.dropoutProbability as number;
    const atScale = { ...robust.params, a: d * 1e5, b: (1 - d) * 1e5 };
    expect(bgnbdLogLikelihood(atScale, s)).toBeCloseTo(robust.logLikelihood, 2);
  });

  it('scores every customer (one at a time, in a batch, and through the night plan)', () => {
    const p = fitModels(shop, { timeUnit: 'day' });
    const batch = scoreBatch(p, columns(shop), { horizon: 365, timeUnit: 'day' });
    expect(batch.errors).toEqual([]);
    for (const s of shop) {
      const r = scoreCustomer(p, s, { horizon: 365, timeUnit: 'day' });
      expect(r.ok).toBe(true);
    }
    const byCustomer = new Map<string, { orderId: string; date: string; amount: number }[]>();
    for (const o of smallShopOrders())
      byCustomer.set(o.customerId, [...(byCustomer.get(o.customerId) ?? []), o]);
    const aggregates = [...byCustomer.values()].map((orders) => aggregateOrders(orders, 'EUR'));
    const plan = buildRunPlan({
      runDate: SMALL_SHOP_RUN_DATE,
      population: aggregates,
      sampledFraction: 1,
      campaigns: [],
      settings: SETTINGS,
    });
    expect(plan.models?.fit?.method).toBe('constant_dropout_limit');
    expect(plan.models?.fit?.warnings.length).toBeGreaterThan(0);
    expect(plan.clvTiers).not.toBeNull();
    for (const agg of aggregates) {
      const s = summarizeAggregates(agg, SMALL_SHOP_RUN_DATE, 'day') as RfmSummary;
      const r = scoreCustomer(plan.models as NonNullable<typeof plan.models>, s, {
        horizon: 365,
        timeUnit: 'day',
      });
      expect(r.ok ? '' : r.reason).toBe('');
    }
  });

  it("scores everyone even with the issue's degenerate parameters (a ≈ 7.6M, b ≈ 4.4M)", () => {
    const p = {
      timeUnit: 'day' as const,
      customers: 150,
      bgnbd: { r: 0.23, alpha: 26, a: 7.6e6, b: 4.4e6, logLikelihood: -710 },
      gammaGamma: { p: 3.6, q: 5e6, v: 9.5e7 },
    };
    const batch = scoreBatch(p, columns(shop), { horizon: 365, timeUnit: 'day' });
    expect(batch.errors).toEqual([]);
  });
});

describe('the conditional expectation is continuous into the a, b → ∞ limit', () => {
  const base: BgNbdParams = { r: 0.23, alpha: 26, a: 0.69, b: 0.31 };
  for (const [x, T] of [
    [0, 300],
    [1, 500],
    [2, 640],
    [40, 100],
  ] as const) {
    it(`x = ${x}, T = ${T}: series and limit agree as the scale k grows (error ~ 1/k)`, () => {
      const limit = bgnbdConditionalNumerator({ ...base, a: base.a * 1e12, b: base.b * 1e12 }, x, T, 365);
      expect(Number.isFinite(limit)).toBe(true);
      for (const k of [1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e9]) {
        // 1e3-1e5 need the quadrature (the series is too long or cancels), 1e6 on the limit.
        const v = bgnbdConditionalNumerator({ ...base, a: base.a * k, b: base.b * k }, x, T, 365);
        expect(Number.isFinite(v)).toBe(true);
        expect(Math.abs(v / limit - 1)).toBeLessThan((5 * (1 + x)) / k);
      }
    });
  }

  it('the quadrature agrees with the series where the series is well conditioned', () => {
    for (const p of [
      { r: 0.243, alpha: 4.41, a: 0.793, b: 2.43 },
      { r: 2, alpha: 30, a: 5, b: 40 },
      { r: 0.5, alpha: 10, a: 1, b: 1 },
    ])
      for (const [x, T, t] of [
        [0, 30, 39],
        [3, 20, 39],
        [12, 38, 10],
      ] as const) {
        const series = bgnbdConditionalNumerator(p, x, T, t);
        expect(Math.abs(bgnbdNumeratorByQuadrature(p, x, T, t) / series - 1)).toBeLessThan(1e-10);
      }
  });

  it('a + b = 1 with x = 0 (c = 0, the series is singular) is integrated instead', () => {
    const v = bgnbdConditionalNumerator({ r: 0.23, alpha: 26, a: 0.69, b: 0.31 }, 0, 300, 365);
    const near = bgnbdConditionalNumerator({ r: 0.23, alpha: 26, a: 0.69, b: 0.3100001 }, 0, 300, 365);
    expect(Math.abs(v / near - 1)).toBeLessThan(1e-6);
  });

  it('the no-dropout corner (a moderate, b → ∞) gives the NBD expectation (r+x)·t/(α+T)', () => {
    const v = bgnbdConditionalNumerator({ r: 1.3, alpha: 20, a: 0.24, b: 1e12 }, 5, 100, 50);
    expect(v).toBeCloseTo((6.3 * 50) / 120, 9);
  });
});

describe('ordinary data keep the ordinary fit', () => {
  it('CDNOW: maximum likelihood, no warnings, standard errors a few % to ~20 % of the values', () => {
    const rows = summaryCsv();
    const p = fitModels(rows, { timeUnit: 'week' });
    expect(p.fit?.method).toBe('maximum_likelihood');
    expect(p.fit?.warnings).toEqual([]);
    const se = p.fit?.standardErrors;
    for (const [k, v] of Object.entries({ r: p.bgnbd.r, alpha: p.bgnbd.alpha, a: p.bgnbd.a, b: p.bgnbd.b })) {
      const s = se?.[k as 'r'] as number;
      expect(s / v).toBeGreaterThan(0.01);
      expect(s / v).toBeLessThan(0.3);
    }
  });

  it('a seeded population: fewer than 1 in 10,000 customers could not be scored (20,000 customers)', () => {
    const asOf = '2026-11-20';
    const aggregates = Array.from({ length: 20_000 }, (_, i) =>
      aggregateOrders(syntheticCustomer(i, { customers: 20_000, seed: 11, asOf }).orders, 'EUR'),
    );
    const plan = buildRunPlan({
      runDate: asOf,
      population: aggregates,
      sampledFraction: 1,
      campaigns: [],
      settings: SETTINGS,
    });
    const models = plan.models as NonNullable<typeof plan.models>;
    let scored = 0;
    const failures: string[] = [];
    for (const agg of aggregates) {
      const s = summarizeAggregates(agg, asOf, 'day');
      if (!s) continue;
      const r = scoreCustomer(models, s, { horizon: 365, timeUnit: 'day' });
      if (r.ok) scored++;
      else failures.push(r.reason);
    }
    expect(scored).toBeGreaterThan(10_000);
    expect(failures.length).toBeLessThan((scored + failures.length) / 10_000);
  });
});
