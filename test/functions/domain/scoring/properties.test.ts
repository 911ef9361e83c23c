import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bgnbdConditionalExpectedPurchases,
  bgnbdExpectedPurchases,
  bgnbdPAlive,
  type ModelParams,
  scoreCustomer,
} from '../../../../functions/domain/scoring/index.js';
import { README_PARAMS } from './fixtures.js';

const P = README_PARAMS.bgnbd;
const opts = { horizon: 39, clvMonths: 12, discount: 0.01 };

/** A valid summary: integer x, 0 <= t_x <= T, t_x = 0 when x = 0. */
const summary = (maxX: number, maxT: number) =>
  fc
    .record({
      x: fc.integer({ min: 0, max: maxX }),
      T: fc.double({ min: 0, max: maxT, noNaN: true }),
      frac: fc.double({ min: 0, max: 1, noNaN: true }),
      m: fc.double({ min: 0, max: 1e6, noNaN: true }),
    })
    .map(({ x, T, frac, m }) => ({ frequency: x, recency: x === 0 ? 0 : T * frac, T, monetaryValue: m }));

const anyParams = fc.record({
  r: fc.double({ min: 0.01, max: 50, noNaN: true }),
  alpha: fc.double({ min: 0.01, max: 500, noNaN: true }),
  a: fc.double({ min: 0.01, max: 20, noNaN: true }),
  b: fc.double({ min: 0.01, max: 50, noNaN: true }),
});

describe('model properties (fast-check)', () => {
  it('P(alive) is in [0, 1] and non-decreasing in recency', () => {
    fc.assert(
      fc.property(
        anyParams,
        fc.integer({ min: 1, max: 500 }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (p, x, T, f1, f2) => {
          const lo = Math.min(f1, f2) * T;
          const hi = Math.max(f1, f2) * T;
          const a = bgnbdPAlive(p, x, lo, T);
          const b = bgnbdPAlive(p, x, hi, T);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(1);
          expect(b).toBeGreaterThanOrEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('expected purchases are finite, non-negative and increasing in t', () => {
    fc.assert(
      fc.property(
        anyParams,
        summary(200, 400),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (p, s, t1, dt) => {
          const e1 = bgnbdConditionalExpectedPurchases(p, t1, s.frequency, s.recency, s.T);
          const e2 = bgnbdConditionalExpectedPurchases(p, t1 + dt, s.frequency, s.recency, s.T);
          if (Number.isNaN(e1) || Number.isNaN(e2)) return; // non-convergence is reported as an error by scoreCustomer
          expect(Number.isFinite(e1)).toBe(true);
          expect(e1).toBeGreaterThanOrEqual(0);
          expect(e2).toBeGreaterThanOrEqual(e1 * (1 - 1e-9));
          const u1 = bgnbdExpectedPurchases(p, t1);
          const u2 = bgnbdExpectedPurchases(p, t1 + dt);
          if (Number.isNaN(u1) || Number.isNaN(u2)) return;
          expect(u1).toBeGreaterThanOrEqual(0);
          expect(u2).toBeGreaterThanOrEqual(u1 * (1 - 1e-9));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is continuous through a = 1', () => {
    const at = (a: number) => bgnbdConditionalExpectedPurchases({ ...P, a }, 39, 3, 20, 38);
    expect(Number.isFinite(at(1))).toBe(true);
    expect(Math.abs(at(1) - at(1 + 1e-9))).toBeLessThan(1e-7);
    expect(Math.abs(at(1) - at(1 - 1e-9))).toBeLessThan(1e-7);
    expect(Math.abs(at(1 + 1e-4) - at(1 - 1e-4))).toBeLessThan(1e-3);
  });

  it('CLV is non-decreasing in spend', () => {
    fc.assert(
      fc.property(summary(100, 200), fc.double({ min: 0, max: 1e4, noNaN: true }), (s, extra) => {
        const a = scoreCustomer(README_PARAMS, s, opts);
        const b = scoreCustomer(README_PARAMS, { ...s, monetaryValue: s.monetaryValue + extra }, opts);
        expect(a.ok && b.ok).toBe(true);
        if (a.ok && b.ok) expect(b.clv).toBeGreaterThanOrEqual(a.clv);
      }),
      { numRuns: 300 },
    );
  });

  it('never returns NaN or Infinity, including extreme inputs; failures carry a reason', () => {
    const extreme = fc.record({
      x: fc.oneof(fc.constantFrom(0, 1, 2, 1e6, 1e9, 2 ** 52), fc.integer({ min: 0, max: 10_000 })),
      T: fc.oneof(
        fc.constantFrom(0, 1e-9, 1e-300, 1e6, 1e12, 1e300),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
      ),
      frac: fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
      m: fc.oneof(
        fc.constantFrom(0, 1e-300, 5e-324, 1e300, 1.7e308),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
      ),
    });
    const params = fc.record({
      r: fc.oneof(fc.constantFrom(1e-6, 1e6), fc.double({ min: 1e-3, max: 100, noNaN: true })),
      alpha: fc.oneof(fc.constantFrom(1e-6, 1e6), fc.double({ min: 1e-3, max: 1000, noNaN: true })),
      a: fc.oneof(
        fc.constantFrom(1, 1 - 1e-12, 1 + 1e-12, 1e-6, 100),
        fc.double({ min: 1e-3, max: 50, noNaN: true }),
      ),
      b: fc.oneof(fc.constantFrom(1e-6, 1e6), fc.double({ min: 1e-3, max: 100, noNaN: true })),
      p: fc.double({ min: 0.1, max: 100, noNaN: true }),
      q: fc.double({ min: 1.01, max: 100, noNaN: true }),
      v: fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(
        params,
        extreme,
        fc.constantFrom(0, 1, 39, 365, 1e4),
        ({ r, alpha, a, b, p, q, v }, e, horizon) => {
          const mp: ModelParams = {
            timeUnit: 'week',
            customers: 1,
            bgnbd: { r, alpha, a, b, logLikelihood: 0 },
            gammaGamma: { p, q, v },
          };
          const s = {
            frequency: e.x,
            recency: e.x === 0 ? 0 : e.T * e.frac,
            T: e.T,
            monetaryValue: e.m,
          };
          const res = scoreCustomer(mp, s, { ...opts, horizon });
          if (res.ok) {
            for (const val of [res.pAlive, res.expectedPurchases, res.expectedAvgValue, res.clv]) {
              expect(Number.isFinite(val)).toBe(true);
              expect(val).toBeGreaterThanOrEqual(0);
            }
            expect(res.pAlive).toBeLessThanOrEqual(1);
          } else {
            expect(res.reason.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('CDNOW parameters score typical extreme customers (no error)', () => {
    for (const s of [
      { frequency: 0, recency: 0, T: 0, monetaryValue: 0 },
      { frequency: 5, recency: 10, T: 10, monetaryValue: 1e-9 },
      { frequency: 100_000, recency: 30, T: 39, monetaryValue: 1e7 },
      { frequency: 1, recency: 0, T: 1000, monetaryValue: 20 },
    ]) {
      const r = scoreCustomer(README_PARAMS, s, opts);
      expect(r.ok, JSON.stringify(s)).toBe(true);
    }
  });
});
