// Attribution of orders to decisions (docs/measurement.md, "Attribution"). Pure: the rule, and what
// one attributed order adds to its group's sums. The adapter (functions/adapters/attributionStore.ts)
// finds a customer's decisions with one Query and stores the result idempotently.
import type { LedgerStatus } from '../delivery/ledger.js';
import { daysBetween } from '../night/dates.js';
import type { IsoDate } from '../types.js';

/** The arm a decision puts its customer in. */
export type ArmGroup = 'treatment' | 'holdout' | 'global_control';

export const ARM_GROUPS: readonly ArmGroup[] = ['treatment', 'holdout', 'global_control'];

/** A decision as attribution needs it (read off its ledger entry). */
export interface DecisionRef {
  sendKey: string;
  runDate: IsoDate;
  campaignId: string;
  segmentId: string;
  group: ArmGroup;
  /** Fixed at decision time; absent on entries from before the field existed → the program default. */
  attributionDays?: number | undefined;
}

/**
 * Intention to treat: every decision to send is treatment, whatever became of the email (sent,
 * skipped, failed, bounced), so the arms stay the comparable random split the holdout made.
 */
export function groupOfStatus(status: LedgerStatus): ArmGroup {
  if (status === 'held_out') return 'holdout';
  if (status === 'global_control') return 'global_control';
  return 'treatment';
}

/**
 * Whether an order dated `orderDate` counts for a decision of `runDate`: from the run date itself
 * (day 0: orders carry a date, not a time, and the email goes out that day) up to and including day
 * `days`. Day `days + 1` does not count, nor does any day before the run date.
 */
export function inAttributionWindow(runDate: IsoDate, orderDate: IsoDate, days: number): boolean {
  const d = daysBetween(runDate, orderDate);
  return d >= 0 && d <= days;
}

/**
 * The decision an order goes to: the customer's latest decision on or before the order's date, if
 * the order is inside that decision's window; otherwise none. An earlier decision never takes the
 * order over a later one (it is the later contact that the order answers), even when the later
 * decision's window is shorter. Ties on one run date (not made by the night, which records at most
 * one decision per customer) go to the greater ledger key, so the answer never depends on order.
 */
export function attributedDecision(
  orderDate: IsoDate,
  decisions: readonly DecisionRef[],
  defaultDays: number,
): DecisionRef | null {
  let latest: DecisionRef | null = null;
  for (const d of decisions) {
    if (d.runDate > orderDate) continue;
    if (
      latest === null ||
      d.runDate > latest.runDate ||
      (d.runDate === latest.runDate && d.sendKey > latest.sendKey)
    )
      latest = d;
  }
  if (latest === null) return null;
  return inAttributionWindow(latest.runDate, orderDate, latest.attributionDays ?? defaultDays)
    ? latest
    : null;
}

/** What one attributed order adds to its (campaign, night, segment, group) sums. */
export interface AttributionDelta {
  /** 1 on the decision's first attributed order, else 0: a converter is a customer, not an order. */
  converters: 0 | 1;
  orders: number;
  revenue: number;
  /**
   * The change of Σ (customer's attributed revenue)² when this customer's total goes x → x + y:
   * (x + y)² − x² = 2xy + y². Kept so the statistics get the revenue variance from sums alone.
   */
  revenueSumSquares: number;
}

/**
 * `before` is the decision's attributed totals before this order (orders, revenue). Money is rounded
 * to millionths so a binary rounding remainder cannot make a sum of squares drift.
 */
export function attributionDelta(
  before: { orders: number; revenue: number },
  amount: number,
): AttributionDelta {
  const x = round6(before.revenue);
  const y = round6(amount);
  return {
    converters: before.orders === 0 ? 1 : 0,
    orders: 1,
    revenue: y,
    revenueSumSquares: round6(2 * x * y + y * y),
  };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Sums of one group of one campaign segment on one night, as stored and as the report reads them. */
export interface AttributionSums {
  runDate: IsoDate;
  campaignId: string;
  segmentId: string;
  group: ArmGroup;
  /** The window of the decisions summed here (set by the first attributed order). */
  attributionDays?: number | undefined;
  converters: number;
  orders: number;
  revenue: number;
  revenueSumSquares: number;
}

export interface AttributableOrder {
  customerId: string;
  orderId: string;
  date: IsoDate;
  amount: number;
}

/** What attribution needs from storage. */
export interface AttributionPort {
  /** The customer's latest decisions with a run date on or before `upTo`, newest first (a few suffice). */
  latestDecisions(customerId: string, upTo: IsoDate): Promise<DecisionRef[]>;
  /**
   * Records the order for the decision once and adds its delta to the group's sums; `duplicate` when
   * the order was already recorded for it (an order imported twice counts once).
   */
  record(decision: DecisionRef, order: AttributableOrder): Promise<'attributed' | 'duplicate'>;
}

export type AttributionOutcome = 'attributed' | 'duplicate' | 'unattributed';

export async function attributeOrder(
  port: AttributionPort,
  order: AttributableOrder,
  defaultDays: number,
): Promise<AttributionOutcome> {
  const decision = attributedDecision(
    order.date,
    await port.latestDecisions(order.customerId, order.date),
    defaultDays,
  );
  if (!decision) return 'unattributed';
  return port.record(decision, order);
}
