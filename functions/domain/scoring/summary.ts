// Buy-till-you-die summaries (frequency, recency, T, monetary value) from transactions or aggregates.
import type { IsoDate, PurchaseAggregates, RfmSummary } from '../types.js';
import { toDay } from './dates.js';

export type TimeUnit = 'day' | 'week';

export const DAYS_PER_UNIT: Record<TimeUnit, number> = { day: 1, week: 7 };

export interface Transaction {
  customerId: string;
  date: IsoDate;
  amount: number;
}

export interface SummarizeOptions {
  /** Transactions after the observation end: 'error' (default) throws, 'ignore' drops them (calibration split). */
  afterObservationEnd?: 'error' | 'ignore';
}

/** Accumulates transactions one at a time (day numbers), then produces per-customer summaries. */
export class SummaryBuilder {
  private readonly days = new Map<string, Map<number, number>>();
  private readonly endDay: number;
  constructor(
    readonly observationEnd: IsoDate,
    readonly timeUnit: TimeUnit,
    private readonly options: SummarizeOptions = {},
  ) {
    this.endDay = toDay(observationEnd, 'observation end');
  }

  /** Adds one transaction; `day` is a day number (see dates.ts). Throws on a bad amount or a late date. */
  addDay(customerId: string, day: number, amount: number): void {
    if (!Number.isFinite(amount) || amount < 0)
      throw new Error(`amount must be a finite number >= 0 (got ${amount})`);
    if (day > this.endDay) {
      if (this.options.afterObservationEnd === 'ignore') return;
      throw new Error(`date is after the observation end ${this.observationEnd}`);
    }
    let m = this.days.get(customerId);
    if (!m) {
      m = new Map();
      this.days.set(customerId, m);
    }
    m.set(day, (m.get(day) ?? 0) + amount);
  }

  add(t: Transaction): void {
    this.addDay(t.customerId, toDay(t.date, 'transaction date'), t.amount);
  }

  /** Summaries in first-seen customer order. */
  build(): Map<string, RfmSummary> {
    const out = new Map<string, RfmSummary>();
    const unit = DAYS_PER_UNIT[this.timeUnit];
    for (const [id, m] of this.days) {
      const ds = [...m.keys()].sort((a, b) => a - b);
      const first = ds[0] as number;
      const last = ds[ds.length - 1] as number;
      let repeat = 0;
      for (let i = 1; i < ds.length; i++) repeat += m.get(ds[i] as number) as number;
      const frequency = ds.length - 1;
      out.set(id, {
        frequency,
        recency: (last - first) / unit,
        T: (this.endDay - first) / unit,
        monetaryValue: frequency > 0 ? repeat / frequency : 0,
      });
    }
    return out;
  }
}

/**
 * Summaries from raw transactions: frequency = repeat purchase days (same-day purchases merge,
 * amounts summed), recency = last purchase day - first, T = observation end - first,
 * monetary value = mean spend of the repeat purchase days (first excluded), in `timeUnit`.
 */
export function summarizeTransactions(
  transactions: Iterable<Transaction>,
  observationEnd: IsoDate,
  timeUnit: TimeUnit,
  options: SummarizeOptions = {},
): Map<string, RfmSummary> {
  const b = new SummaryBuilder(observationEnd, timeUnit, options);
  for (const t of transactions) b.add(t);
  return b.build();
}

/** The summary the nightly run uses, from ingest-time aggregates; null for a customer without orders. */
export function summarizeAggregates(
  agg: PurchaseAggregates,
  observationEnd: IsoDate,
  timeUnit: TimeUnit,
): RfmSummary | null {
  if (agg.purchaseDays <= 0 || !agg.firstOrderDate || !agg.lastOrderDate) return null;
  const unit = DAYS_PER_UNIT[timeUnit];
  const first = toDay(agg.firstOrderDate, 'firstOrderDate');
  const last = toDay(agg.lastOrderDate, 'lastOrderDate');
  const end = toDay(observationEnd, 'observation end');
  const frequency = agg.purchaseDays - 1;
  return {
    frequency,
    recency: (last - first) / unit,
    T: (end - first) / unit,
    monetaryValue: frequency > 0 ? (agg.totalSpent - agg.firstDaySpent) / frequency : 0,
  };
}
