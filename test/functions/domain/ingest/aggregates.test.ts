import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregateOrders,
  applyOrder,
  emptyAggregates,
  needsSameDayLookup,
} from '../../../../functions/domain/ingest/aggregates.js';

const order = (orderId: string, date: string, amount: number) => ({ orderId, date, amount });

describe('purchase aggregates', () => {
  it('merges same-day orders into one purchase day and keeps the first day apart', () => {
    const agg = aggregateOrders(
      [
        order('a', '2026-01-01', 10),
        order('b', '2026-01-01', 5),
        order('c', '2026-02-01', 20),
        order('d', '2026-03-01', 30),
      ],
      'EUR',
    );
    expect(agg).toEqual({
      orderCount: 4,
      purchaseDays: 3,
      totalSpent: 65,
      firstDaySpent: 15,
      firstOrderDate: '2026-01-01',
      lastOrderDate: '2026-03-01',
      currency: 'EUR',
    });
  });

  it('handles a late order before the first purchase day', () => {
    let agg = aggregateOrders([order('a', '2026-02-01', 10)], 'EUR');
    agg = applyOrder(agg, order('b', '2026-01-15', 7), false);
    expect(agg.firstOrderDate).toBe('2026-01-15');
    expect(agg.firstDaySpent).toBe(7);
    expect(agg.purchaseDays).toBe(2);
  });

  it('asks for a same-day lookup only strictly between the first and last day', () => {
    const agg = aggregateOrders([order('a', '2026-01-01', 1), order('b', '2026-03-01', 1)], 'EUR');
    expect(needsSameDayLookup(agg, '2026-02-01')).toBe(true);
    expect(needsSameDayLookup(agg, '2026-01-01')).toBe(false);
    expect(needsSameDayLookup(agg, '2026-03-05')).toBe(false);
    expect(needsSameDayLookup(emptyAggregates('EUR'), '2026-03-05')).toBe(false);
  });

  it('gives the same aggregates whatever order the orders arrive in', () => {
    const day = fc
      .integer({ min: 0, max: 60 })
      .map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(day, fc.integer({ min: 0, max: 10_000 })), { minLength: 1, maxLength: 20 }),
        fc.infiniteStream(fc.nat()),
        (rows, stream) => {
          const orders = rows.map(([d, cents], i) => order(`o${i}`, d, cents / 100));
          const expected = aggregateOrders(orders, 'EUR');
          const shuffled = [...orders];
          const it = stream[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          let agg = emptyAggregates('EUR');
          const seen: { date: string }[] = [];
          for (const o of shuffled) {
            const sameDay = needsSameDayLookup(agg, o.date) && seen.some((s) => s.date === o.date);
            agg = applyOrder(agg, o, sameDay);
            seen.push(o);
          }
          expect(agg.purchaseDays).toBe(expected.purchaseDays);
          expect(agg.firstOrderDate).toBe(expected.firstOrderDate);
          expect(agg.lastOrderDate).toBe(expected.lastOrderDate);
          expect(agg.totalSpent).toBeCloseTo(expected.totalSpent, 6);
          expect(agg.firstDaySpent).toBeCloseTo(expected.firstDaySpent, 6);
        },
      ),
    );
  });
});
