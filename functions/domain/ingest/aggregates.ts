import type { IsoDate, PurchaseAggregates } from '../types.js';

export interface OrderFact {
  orderId: string;
  date: IsoDate;
  amount: number;
}

export function emptyAggregates(currency: string): PurchaseAggregates {
  return { orderCount: 0, purchaseDays: 0, totalSpent: 0, firstDaySpent: 0, currency };
}

/**
 * Folds one order into the aggregates. `dayAlreadyHadPurchase` says whether another order of
 * this customer already falls on the same calendar day (only needed for late, out-of-order
 * orders; the caller knows it for the first and last day from the aggregates themselves).
 */
export function applyOrder(
  agg: PurchaseAggregates,
  order: OrderFact,
  dayAlreadyHadPurchase: boolean,
): PurchaseAggregates {
  const next: PurchaseAggregates = {
    ...agg,
    orderCount: agg.orderCount + 1,
    totalSpent: roundCents(agg.totalSpent + order.amount),
  };
  const first = agg.firstOrderDate;
  const last = agg.lastOrderDate;
  if (first === undefined || last === undefined) {
    return {
      ...next,
      purchaseDays: 1,
      firstOrderDate: order.date,
      lastOrderDate: order.date,
      firstDaySpent: order.amount,
    };
  }
  if (order.date < first) {
    // A late order before the known first purchase: it becomes the first day, the old first day a repeat.
    return {
      ...next,
      purchaseDays: agg.purchaseDays + 1,
      firstOrderDate: order.date,
      firstDaySpent: order.amount,
    };
  }
  if (order.date === first) {
    return { ...next, firstDaySpent: roundCents(agg.firstDaySpent + order.amount) };
  }
  const newDay = order.date !== last && !dayAlreadyHadPurchase;
  return {
    ...next,
    purchaseDays: agg.purchaseDays + (newDay ? 1 : 0),
    // biome-ignore lint/complexity/useMathMinMax: ISO date strings, not numbers
    lastOrderDate: order.date > last ? order.date : last,
  };
}

/** Whether the caller must look up other orders to know if the order's day is new. */
export function needsSameDayLookup(agg: PurchaseAggregates, date: IsoDate): boolean {
  const { firstOrderDate: first, lastOrderDate: last } = agg;
  if (first === undefined || last === undefined) return false;
  return date > first && date < last;
}

/** Aggregates of a complete order history (used by bulk loads and as the test oracle). */
export function aggregateOrders(orders: readonly OrderFact[], currency: string): PurchaseAggregates {
  const sorted = [...orders].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  let agg = emptyAggregates(currency);
  for (const o of sorted) agg = applyOrder(agg, o, false);
  return agg;
}

function roundCents(x: number): number {
  return Math.round(x * 100) / 100;
}
