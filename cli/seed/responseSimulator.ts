// Simulated customer responses to one night's decisions: an orders file in the format
// `retention import orders` reads, in which the treatment arm buys more often than the controls by
// a known amount. The measurement code is tested against it: the report must recover the effect.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { DecisionGroup, DecisionRow } from '../../functions/domain/measurement/decisions.js';
import { addDays } from '../../functions/domain/night/dates.js';
import type { IsoDate } from '../../functions/domain/types.js';
import { writeCsv } from '../local/decisions.js';
import { Random } from './random.js';

export const ORDER_FILE_COLUMNS = ['order_id', 'customer_id', 'date', 'amount', 'currency'] as const;

/** Order values: a fixed amount, or Gamma with this mean and shape (shape 4: coefficient of variation 0.5). */
export type OrderValueDistribution =
  | { kind: 'fixed'; amount: number }
  | { kind: 'gamma'; mean: number; shape: number };

export interface ResponseOptions {
  /** The night the decisions were made; orders fall on the `days` days after it. */
  runDate: IsoDate;
  /** Probability that any decided customer (every arm) buys within the window. */
  baseRate: number;
  /** Added to baseRate for treatment customers: the true absolute uplift. */
  extraRateForTreatment: number;
  orderValue: OrderValueDistribution;
  days: number;
  seed: number;
  currency?: string;
}

export interface SimulatedOrder {
  orderId: string;
  customerId: string;
  date: IsoDate;
  amount: number;
  currency: string;
}

export const DEFAULT_ORDER_MEAN = 60;
export const DEFAULT_ORDER_VALUE: OrderValueDistribution = {
  kind: 'gamma',
  mean: DEFAULT_ORDER_MEAN,
  shape: 4,
};

/** Validates options with messages that name the option (the CLI passes its flags' values here). */
export function checkResponseOptions(o: ResponseOptions): void {
  const rate = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be a probability from 0 to 1, got ${v}`);
  };
  rate('base rate', o.baseRate);
  if (!(o.extraRateForTreatment >= -o.baseRate && o.baseRate + o.extraRateForTreatment <= 1)) {
    throw new RangeError(
      `uplift ${o.extraRateForTreatment} with base rate ${o.baseRate} gives a treatment rate outside 0 to 1`,
    );
  }
  if (!Number.isInteger(o.days) || o.days < 1)
    throw new RangeError(`days must be a whole number >= 1, got ${o.days}`);
  if (!Number.isInteger(o.seed) || o.seed < 0)
    throw new RangeError(`seed must be a whole number >= 0, got ${o.seed}`);
  const v = o.orderValue;
  if (v.kind === 'fixed' && !(v.amount > 0 && Number.isFinite(v.amount))) {
    throw new RangeError(`order value must be a positive amount, got ${v.amount}`);
  }
  if (
    v.kind === 'gamma' &&
    !(v.mean > 0 && v.shape > 0 && Number.isFinite(v.mean) && Number.isFinite(v.shape))
  ) {
    throw new RangeError(`order value mean and shape must be positive, got mean ${v.mean}, shape ${v.shape}`);
  }
}

/**
 * The customer's own random stream: seeded by (seed, run date, customer id), so a customer's
 * response does not depend on the order the ledger returns rows in or on who else was decided.
 */
function customerRandom(seed: number, runDate: IsoDate, customerId: string): Random {
  const digest = createHash('sha256').update(`${seed}\u0000${runDate}\u0000${customerId}`).digest();
  return new Random(digest.readUInt32LE(0));
}

/** Whether and what this decided customer buys in the window. One order at most per customer. */
export function simulateResponse(
  decision: { customerId: string; group: DecisionGroup },
  o: ResponseOptions,
): SimulatedOrder | null {
  const rng = customerRandom(o.seed, o.runDate, decision.customerId);
  const p = decision.group === 'treatment' ? o.baseRate + o.extraRateForTreatment : o.baseRate;
  if (!rng.chance(p)) return null;
  const day = rng.int(1, o.days);
  const raw =
    o.orderValue.kind === 'fixed'
      ? o.orderValue.amount
      : rng.gamma(o.orderValue.shape, o.orderValue.shape / o.orderValue.mean);
  // Cents, and never 0.00: a zero-amount order is still an order, but would blur revenue tests.
  const amount = Math.max(0.01, Math.round(raw * 100) / 100);
  return {
    orderId: `sim-${o.runDate}-s${o.seed}`,
    customerId: decision.customerId,
    date: addDays(o.runDate, day),
    amount,
    currency: o.currency ?? 'EUR',
  };
}

async function* orderRows(pages: AsyncIterable<DecisionRow[]>, o: ResponseOptions): AsyncGenerator<string[]> {
  for await (const page of pages) {
    for (const row of page) {
      const order = simulateResponse(row, o);
      if (order) yield [order.orderId, order.customerId, order.date, order.amount.toFixed(2), order.currency];
    }
  }
}

/**
 * Writes the simulated orders as CSV (`order_id,customer_id,date,amount,currency`), streamed page
 * by page. The order id is the same for a customer's re-simulation with the same seed, so importing
 * the file twice adds nothing; another seed gives other ids, i.e. more orders.
 */
export async function writeResponsesCsv(
  pages: AsyncIterable<DecisionRow[]>,
  options: ResponseOptions,
  out: Writable,
): Promise<number> {
  checkResponseOptions(options);
  return writeCsv(ORDER_FILE_COLUMNS, orderRows(pages, options), out);
}
