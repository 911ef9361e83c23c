// A small shop's own history, the case of issue 13 "Robust on real data": 150 customers with one to
// three orders each, all in 2025, imported and scored much later (2026-11-20). Deterministic per seed.
import { addDays } from '../../functions/domain/night/dates.js';
import type { IsoDate } from '../../functions/domain/types.js';
import { Random } from './random.js';

export interface SmallShopOrder {
  customerId: string;
  orderId: string;
  date: IsoDate;
  amount: number;
}

export interface SmallShopOptions {
  customers?: number;
  seed?: number;
  /** First day of the shop's year of orders. */
  from?: IsoDate;
  /** Days in that period (orders fall inside it). */
  days?: number;
}

/** The night the issue scores the shop on. */
export const SMALL_SHOP_RUN_DATE: IsoDate = '2026-11-20';

/**
 * Orders of the small shop: each customer buys 1, 2 or 3 times (weights 5:3:2), first order
 * uniform over the year, later orders after it within the year; amounts 15–120 with cents.
 */
export function smallShopOrders(options: SmallShopOptions = {}): SmallShopOrder[] {
  const customers = options.customers ?? 150;
  const rng = new Random(options.seed ?? 2025);
  const from = options.from ?? '2025-01-01';
  const days = options.days ?? 365;
  const orders: SmallShopOrder[] = [];
  for (let c = 1; c <= customers; c++) {
    const customerId = `shop-${String(c).padStart(4, '0')}`;
    const count = rng.weighted([
      [1, 5],
      [2, 3],
      [3, 2],
    ] as const);
    const first = rng.int(0, days - 1);
    const offsets = [first];
    for (let k = 1; k < count; k++) offsets.push(rng.int(first, days - 1));
    offsets.sort((a, b) => a - b);
    offsets.forEach((offset, k) => {
      orders.push({
        customerId,
        orderId: `${customerId}-${k + 1}`,
        date: addDays(from, offset),
        amount: Math.round((15 + rng.next() * 105) * 100) / 100,
      });
    });
  }
  return orders;
}
