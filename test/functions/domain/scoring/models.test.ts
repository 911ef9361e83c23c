import { describe, expect, it } from 'vitest';
import {
  bgnbdConditionalExpectedPurchases,
  bgnbdExpectedPurchases,
  bgnbdLogLikelihood,
  bgnbdPAlive,
  bgnbdProbabilityOfPurchases,
  bgnbdStats,
  fitBgNbd,
  fitGammaGamma,
  fitModels,
  gammaGammaExpectedAverageValue,
  gammaGammaStats,
  ModelParamsSchema,
  scoreBatch,
  scoreCustomer,
  summarizeAggregates,
  summarizeTransactions,
} from '../../../../functions/domain/scoring/index.js';
import type { RfmSummary } from '../../../../functions/domain/types.js';
import { cdnowTransactions, README_PARAMS, referenceScores, summaryCsv } from './fixtures.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('summaries', () => {
  it('rebuilds the CDNOW calibration summary from raw transactions', () => {
    const tx = cdnowTransactions().filter((t) => t.date <= '1997-09-30');
    const built = summarizeTransactions(tx, '1997-09-30', 'week');
    const csv = summaryCsv();
    expect(built.size).toBe(2357);
    let sumX = 0;
    for (const row of csv) {
      const s = built.get(row.id);
      expect(s, row.id).toBeDefined();
      if (!s) continue;
      sumX += s.frequency;
      expect(s.frequency).toBe(row.frequency);
      expect(Math.abs(s.recency - row.recency)).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(s.T - row.T)).toBeLessThanOrEqual(0.0051);
      expect(Math.abs(s.monetaryValue - row.monetaryValue)).toBeLessThanOrEqual(0.0051);
    }
    expect(sumX).toBe(2457);
  });

  it('rejects transactions after the observation end unless told to ignore them', () => {
    const t = [{ customerId: 'a', date: '2024-01-02', amount: 1 }];
    expect(() => summarizeTransactions(t, '2024-01-01', 'day')).toThrow(/after the observation end/);
    expect(summarizeTransactions(t, '2024-01-01', 'day', { afterObservationEnd: 'ignore' }).size).toBe(0);
    expect(() =>
      summarizeTransactions([{ customerId: 'a', date: '2024-01-01', amount: -1 }], '2024-01-01', 'day'),
    ).toThrow(/amount/);
  });

  it('merges same-day purchases and excludes the first day from the spend mean', () => {
    const s = summarizeTransactions(
      [
        { customerId: 'a', date: '2024-01-01', amount: 100 },
        { customerId: 'a', date: '2024-01-11', amount: 10 },
        { customerId: 'a', date: '2024-01-11', amount: 5 },
        { customerId: 'a', date: '2024-01-21', amount: 25 },
      ],
      '2024-01-31',
      'day',
    ).get('a');
    expect(s).toEqual({ frequency: 2, recency: 20, T: 30, monetaryValue: 20 });
  });

  it('summarizeAggregates matches the transaction summary and is null without orders', () => {
    const s = summarizeAggregates(
      {
        orderCount: 4,
        purchaseDays: 3,
        totalSpent: 140,
        firstDaySpent: 100,
        firstOrderDate: '2024-01-01',
        lastOrderDate: '2024-01-21',
        currency: 'EUR',
      },
      '2024-01-31',
      'week',
    );
    expect(s).toEqual({ frequency: 2, recency: 20 / 7, T: 30 / 7, monetaryValue: 20 });
    expect(
      summarizeAggregates(
        { orderCount: 0, purchaseDays: 0, totalSpent: 0, firstDaySpent: 0, currency: 'EUR' },
        '2024-01-31',
        'day',
      ),
    ).toBeNull();
  });
});

describe('BG/NBD and Gamma-Gamma fits on CDNOW (Fader, Hardie & Lee 2005)', () => {
  const expectBgNbd = (p: { r: number; alpha: number; a: number; b: number; logLikelihood: number }) => {
    expect(p.r).toBeCloseTo(0.2426, 3);
    expect(p.alpha).toBeCloseTo(4.4135, 2);
    expect(p.a).toBeCloseTo(0.7929, 3);
    expect(p.b).toBeCloseTo(2.4258, 2);
    expect(p.logLikelihood).toBeCloseTo(-9582.43, 1);
  };

  it('fits the summary csv', () => {
    const csv = summaryCsv();
    const fit = fitBgNbd(
      bgnbdStats(
        csv.map((c) => c.frequency),
        csv.map((c) => c.recency),
        csv.map((c) => c.T),
      ),
    );
    expect(fit.converged).toBe(true);
    expectBgNbd(fit);
    // Reference to 6 significant digits (lifetimes, Nelder-Mead).
    expect(rel(fit.r, 0.242593)).toBeLessThan(2e-5);
    expect(rel(fit.alpha, 4.413532)).toBeLessThan(2e-5);
    expect(rel(fit.a, 0.792886)).toBeLessThan(2e-5);
    expect(rel(fit.b, 2.425752)).toBeLessThan(2e-5);
    const gg = fitGammaGamma(
      gammaGammaStats(
        csv.map((c) => c.frequency),
        csv.map((c) => c.monetaryValue),
      ),
    );
    expect(gg.customers).toBe(946);
    expect(rel(gg.p, 6.248802)).toBeLessThan(1e-5);
    expect(rel(gg.q, 3.744588)).toBeLessThan(1e-5);
    expect(rel(gg.v, 15.447748)).toBeLessThan(1e-5);
  });

  it('fits the summary built from CDNOW_sample.txt transactions', () => {
    const tx = cdnowTransactions().filter((t) => t.date <= '1997-09-30');
    const summaries = [...summarizeTransactions(tx, '1997-09-30', 'week').values()];
    const params = fitModels(summaries, { timeUnit: 'week' });
    expect(params.customers).toBe(2357);
    expectBgNbd(params.bgnbd);
    expect(params.gammaGamma?.p).toBeCloseTo(6.25, 1);
    expect(params.gammaGamma?.q).toBeCloseTo(3.74, 1);
    expect(params.gammaGamma?.v).toBeCloseTo(15.44, 0);
    expect(ModelParamsSchema.parse(JSON.parse(JSON.stringify(params)))).toEqual(params);
  });

  it('the gradient matches finite differences and the MLE has zero gradient', () => {
    const csv = summaryCsv();
    const stats = bgnbdStats(
      csv.map((c) => c.frequency),
      csv.map((c) => c.recency),
      csv.map((c) => c.T),
    );
    const p = { r: 0.3, alpha: 5, a: 0.7, b: 2 };
    const g = new Float64Array(4);
    bgnbdLogLikelihood(p, stats, g);
    const keys = ['r', 'alpha', 'a', 'b'] as const;
    keys.forEach((k, i) => {
      const h = 1e-6 * p[k];
      const up = bgnbdLogLikelihood({ ...p, [k]: p[k] + h }, stats);
      const dn = bgnbdLogLikelihood({ ...p, [k]: p[k] - h }, stats);
      expect(rel(g[i] as number, (up - dn) / (2 * h))).toBeLessThan(1e-5);
    });
  });

  it('the penalizer shrinks the parameters', () => {
    const csv = summaryCsv();
    const stats = bgnbdStats(
      csv.map((c) => c.frequency),
      csv.map((c) => c.recency),
      csv.map((c) => c.T),
    );
    const free = fitBgNbd(stats);
    const pen = fitBgNbd(stats, { penalizer: 0.1 });
    expect(pen.alpha).toBeLessThan(free.alpha);
    expect(pen.logLikelihood).toBeLessThan(free.logLikelihood);
  });

  it('reproduces the worked example: x = 2, t_x = 30.43, T = 38.86, t = 39 → 1.226', () => {
    const p = README_PARAMS.bgnbd;
    const e = bgnbdConditionalExpectedPurchases(p, 39, 2, 30.43, 38.86);
    expect(e).toBeCloseTo(1.226, 3);
    expect(rel(e, 1.225910424)).toBeLessThan(1e-6);
  });

  it('P(X(t) = n) sums to 1 and has mean E[X(t)]', () => {
    const p = README_PARAMS.bgnbd;
    let total = 0;
    let mean = 0;
    for (let n = 0; n < 400; n++) {
      const pn = bgnbdProbabilityOfPurchases(p, 39, n);
      expect(pn).toBeGreaterThanOrEqual(0);
      total += pn;
      mean += n * pn;
    }
    expect(total).toBeCloseTo(1, 8);
    expect(mean).toBeCloseTo(bgnbdExpectedPurchases(p, 39), 6);
  });
});

describe('scores against lifetimes 0.11.3 (cdnow_lifetimes_reference_scores.csv)', () => {
  const ref = referenceScores();
  const opts = { horizon: 39, clvMonths: 12, discount: 0.01, timeUnit: 'week' as const };

  it('scoreCustomer agrees with every customer to 1e-6 relative', () => {
    expect(ref.length).toBe(2357);
    let worst = 0;
    for (const row of ref) {
      const s: RfmSummary = row;
      const r = scoreCustomer(README_PARAMS, s, opts);
      if (!r.ok) throw new Error(`${row.id}: ${r.reason}`);
      worst = Math.max(
        worst,
        rel(r.pAlive, row.pAlive),
        rel(r.expectedPurchases, row.expPurchases39),
        rel(r.expectedAvgValue, row.expAvgProfit),
        rel(r.clv, row.clv12),
      );
      expect(rel(bgnbdPAlive(README_PARAMS.bgnbd, s.frequency, s.recency, s.T), row.pAlive)).toBeLessThan(
        1e-6,
      );
      expect(
        rel(
          gammaGammaExpectedAverageValue(README_PARAMS.gammaGamma, s.frequency, s.monetaryValue),
          row.expAvgProfit,
        ),
      ).toBeLessThan(1e-6);
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('scoreBatch gives the same numbers', () => {
    const col = (f: (r: (typeof ref)[number]) => number) => Float64Array.from(ref, f);
    const out = scoreBatch(
      README_PARAMS,
      {
        frequency: col((r) => r.frequency),
        recency: col((r) => r.recency),
        T: col((r) => r.T),
        monetaryValue: col((r) => r.monetaryValue),
      },
      opts,
    );
    expect(out.errors).toEqual([]);
    ref.forEach((row, i) => {
      expect(rel(out.pAlive[i] as number, row.pAlive)).toBeLessThan(1e-6);
      expect(rel(out.expectedPurchases[i] as number, row.expPurchases39)).toBeLessThan(1e-6);
      expect(rel(out.expectedAvgValue[i] as number, row.expAvgProfit)).toBeLessThan(1e-6);
      expect(rel(out.clv[i] as number, row.clv12)).toBeLessThan(1e-6);
    });
  });

  it('reports unscorable customers as errors with a reason', () => {
    const bad = scoreCustomer(README_PARAMS, { frequency: 1, recency: 5, T: 2, monetaryValue: 3 }, opts);
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(/recency/) });
    expect(
      scoreCustomer(README_PARAMS, { frequency: 1.5, recency: 1, T: 2, monetaryValue: 3 }, opts).ok,
    ).toBe(false);
    expect(
      scoreCustomer(README_PARAMS, { frequency: 1, recency: 1, T: 2, monetaryValue: Number.NaN }, opts).ok,
    ).toBe(false);
    expect(
      scoreCustomer(
        { ...README_PARAMS, gammaGamma: null },
        { frequency: 1, recency: 1, T: 2, monetaryValue: 3 },
        opts,
      ),
    ).toEqual({
      ok: false,
      reason: expect.stringMatching(/Gamma-Gamma/),
    });
    expect(
      scoreCustomer(
        README_PARAMS,
        { frequency: 1, recency: 1, T: 2, monetaryValue: 3 },
        { ...opts, timeUnit: 'day' },
      ).ok,
    ).toBe(false);
    const batch = scoreBatch(
      README_PARAMS,
      {
        frequency: Float64Array.of(1, 2),
        recency: Float64Array.of(1, 9),
        T: Float64Array.of(2, 3),
        monetaryValue: Float64Array.of(3, 3),
      },
      opts,
    );
    expect(batch.ok[0]).toBe(1);
    expect(batch.ok[1]).toBe(0);
    expect(batch.errors).toEqual([{ index: 1, reason: expect.stringMatching(/recency/) }]);
  });
});
