import { describe, expect, it } from 'vitest';
import { Random } from '../../../../cli/seed/random.js';
import {
  attritionRate,
  MAX_ATTRITION_DAYS,
  startFigures,
} from '../../../../functions/domain/measurement/attrition.js';
import { byRunDate, type NightFigures } from '../../../../functions/domain/measurement/nightFigures.js';
import { addCount, countsOfNight } from '../../../../functions/domain/night/counts.js';
import { addDays, daysBetween } from '../../../../functions/domain/night/dates.js';
import type { CustomerNight } from '../../../../functions/domain/night/types.js';
import type { IsoDate } from '../../../../functions/domain/types.js';

const FIRST = '2026-01-01';

/** A shop whose customers order at random; each night's counters come from the real countsOfNight. */
function simulate(customers: number, days: number, seed: number) {
  const rng = new Random(seed);
  const orders: IsoDate[][] = Array.from({ length: customers }, () => {
    const list: IsoDate[] = [];
    const rate = rng.pick([0.002, 0.01, 0.03, 0.08]);
    for (let d = -200; d < days; d++) if (rng.chance(rate)) list.push(addDays(FIRST, d));
    return list;
  });
  const nightOf = (runDate: IsoDate): NightFigures => {
    const counts: Record<string, number> = {};
    for (const list of orders) {
      const seen = list.filter((o) => o <= runDate);
      const night: CustomerNight = {
        runDate,
        lifeStage: 'active',
        scores: null,
        signals: [],
        signalState: { runDate, lifeStage: 'active', clvTier: null, pAlive: null, fired: [] },
        decision: { outcome: 'no_match' },
      };
      for (const key of countsOfNight(night, seen[seen.length - 1])) addCount(counts, key);
    }
    const recency: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts)) if (k.startsWith('recency:')) recency[k.slice(8)] = v;
    return { runDate, stages: {}, recency };
  };
  /** The definition, read straight off each customer's orders. */
  const direct = (start: IsoDate, n: number) => {
    let active = 0;
    let lapsed = 0;
    for (const list of orders) {
      const before = list.some((o) => o <= start && daysBetween(o, start) < n);
      if (!before) continue;
      active++;
      if (!list.some((o) => o > start && daysBetween(start, o) <= n)) lapsed++;
    }
    return { active, lapsed };
  };
  return { nightOf, direct };
}

describe('attrition rate from nightly recency histograms', () => {
  const shop = simulate(600, 200, 7);
  const nights = Array.from({ length: 200 }, (_, i) => shop.nightOf(addDays(FIRST, i)));
  const map = byRunDate(nights);

  it('equals the per-customer definition for every start night and horizon', () => {
    for (const days of [7, 30, 60]) {
      for (const start of ['2026-01-01', '2026-02-14', '2026-03-31', addDays(FIRST, 199 - days)]) {
        const f = startFigures(map, start, days);
        expect(f, `${start} ${days}`).toEqual({ start, ...shop.direct(start, days) });
      }
    }
  });

  it('pools the start nights of a period and skips the ones without both nights', () => {
    const withGaps = nights.filter((n) => n.runDate !== '2026-02-10' && n.runDate !== '2026-03-20');
    const r = attritionRate(withGaps, { from: '2026-02-01', to: '2026-02-28', days: 30 });
    // 2026-02-10 is missing as a start, and 2026-02-18 loses its end night (2026-03-20).
    expect(r.measuredStarts).toBe(26);
    expect(r.unmeasuredStarts).toBe(2);
    let active = 0;
    let lapsed = 0;
    for (let i = 0; i < 28; i++) {
      const start = addDays('2026-02-01', i);
      if (start === '2026-02-10' || start === '2026-02-18') continue;
      const d = shop.direct(start, 30);
      active += d.active;
      lapsed += d.lapsed;
    }
    expect(r.rate).toBeCloseTo(lapsed / active, 12);
    expect(r.customers).toBe(Math.round(active / 26));
  });

  it('has no rate while the end nights are still ahead', () => {
    const r = attritionRate(nights, { from: addDays(FIRST, 190), to: addDays(FIRST, 199), days: 30 });
    expect(r).toMatchObject({ rate: null, measuredStarts: 0, unmeasuredStarts: 10, customers: 0 });
  });

  it('rejects a horizon the histogram cannot answer', () => {
    expect(() => startFigures(map, FIRST, MAX_ATTRITION_DAYS + 1)).toThrow(/1 to 183/);
    expect(() => startFigures(map, FIRST, 0)).toThrow(RangeError);
  });

  it('never loses more customers than the cohort had (orders imported late)', () => {
    const late = new Map(map);
    late.set('2026-01-01', { runDate: '2026-01-01', stages: {}, recency: { '0': 1 } });
    const f = startFigures(late, '2026-01-01', 30);
    expect(f?.active).toBe(1);
    expect(f?.lapsed).toBeLessThanOrEqual(1);
  });
});
