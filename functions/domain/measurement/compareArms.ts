// Treatment against control for one campaign, segment, night or the whole program: the figures of
// each arm, the uplift with its uncertainty, a verdict and the sample size an 80 %-power test needs.
// Formulas and the verdict rule: docs/measurement.md#statistics.
import { checkConfidence, twoSidedZ } from './distributions.js';
import { newcombeInterval } from './newcombe.js';
import { sampleSizePerGroup } from './power.js';
import type { Comparison, GroupFigures, Interval, Uplift, Verdict } from './reportContract.js';
import { momentsFromSums, welchInterval } from './welch.js';

/** What the report sums per arm over the customers assigned to it (intention-to-treat). */
export interface ArmSums {
  customers: number;
  /** Customers with at least one attributed order. */
  converters: number;
  orders: number;
  /** Σ attributed revenue over the arm's customers. */
  revenue: number;
  /** Σ over the arm's customers of (that customer's attributed revenue)²; non-converters contribute 0. */
  revenueSumSquares: number;
}

export interface CompareOptions {
  /** Confidence level of every interval; default 0.95. */
  confidence?: number;
  /** Below this many customers in either arm the verdict is insufficient_data; default 30. */
  minCustomersPerArm?: number;
  /**
   * The absolute conversion-rate difference the sample size is computed for when the observed
   * effect is 0; default 0.01 (one percentage point).
   */
  minimumDetectableEffect?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;
export const MIN_CUSTOMERS_PER_ARM = 30;
export const DEFAULT_MINIMUM_DETECTABLE_EFFECT = 0.01;

function checkArm(arm: ArmSums, name: 'treatment' | 'control'): void {
  const where = `compareArms: ${name}`;
  for (const field of ['customers', 'converters', 'orders'] as const) {
    const v = arm[field];
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${where}.${field} must be an integer >= 0, got ${v}`);
  }
  if (arm.converters > arm.customers) {
    throw new RangeError(`${where}.converters (${arm.converters}) exceeds customers (${arm.customers})`);
  }
  if (!Number.isFinite(arm.revenue))
    throw new RangeError(`${where}.revenue must be a finite number, got ${arm.revenue}`);
  if (!Number.isFinite(arm.revenueSumSquares) || arm.revenueSumSquares < 0) {
    throw new RangeError(
      `${where}.revenueSumSquares must be a finite number >= 0, got ${arm.revenueSumSquares}`,
    );
  }
  if (arm.customers === 0 && (arm.converters > 0 || arm.orders > 0 || arm.revenue !== 0)) {
    throw new RangeError(`${where} has no customers but has converters, orders or revenue`);
  }
  // Cauchy–Schwarz: (Σx)² <= n Σx². A violation means the sums were not taken over the same customers.
  const bound = (arm.revenue * arm.revenue) / Math.max(1, arm.customers);
  if (arm.revenueSumSquares < bound * (1 - 1e-9) - 1e-9) {
    throw new RangeError(
      `${where}.revenueSumSquares (${arm.revenueSumSquares}) is below revenue²/customers (${bound}): ` +
        'it must be the sum over customers of each customer’s revenue squared',
    );
  }
}

function figures(arm: ArmSums): GroupFigures {
  const n = arm.customers;
  return {
    customers: n,
    converters: arm.converters,
    conversionRate: n === 0 ? 0 : arm.converters / n,
    orders: arm.orders,
    revenue: arm.revenue,
    revenuePerCustomer: n === 0 ? 0 : arm.revenue / n,
  };
}

function scaled(estimate: number, low: number, high: number, factor: number): Interval {
  return { estimate: estimate * factor, ciLow: low * factor, ciHigh: high * factor };
}

/**
 * Customers per group for an 80 %-power, two-sided 5 % test of the observed effect at the observed
 * control rate; when the effect is 0 (or there is no control), of `mde` instead. Null when neither
 * arm has customers (no rate to start from).
 */
function neededPerGroup(treatment: GroupFigures, control: GroupFigures, mde: number): number | null {
  const hasControl = control.customers > 0;
  const hasTreatment = treatment.customers > 0;
  if (!hasControl && !hasTreatment) return null;
  const base = hasControl ? control.conversionRate : treatment.conversionRate;
  let other = hasControl && hasTreatment ? treatment.conversionRate : base;
  if (other === base) other = base + mde <= 1 ? base + mde : base - mde;
  return Math.ceil(sampleSizePerGroup(base, other, { alpha: 0.05, power: 0.8 }));
}

export function compareArms(
  treatment: ArmSums,
  control: ArmSums,
  options: CompareOptions = {},
): Omit<Comparison, 'engagement'> {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  checkConfidence(confidence);
  const minCustomers = options.minCustomersPerArm ?? MIN_CUSTOMERS_PER_ARM;
  if (!Number.isInteger(minCustomers) || minCustomers < 2) {
    throw new RangeError(`compareArms: minCustomersPerArm must be an integer >= 2, got ${minCustomers}`);
  }
  const mde = options.minimumDetectableEffect ?? DEFAULT_MINIMUM_DETECTABLE_EFFECT;
  if (!(mde > 0 && mde < 1)) {
    throw new RangeError(`compareArms: minimumDetectableEffect must be in (0, 1), got ${mde}`);
  }
  checkArm(treatment, 'treatment');
  checkArm(control, 'control');

  const t = figures(treatment);
  const c = figures(control);

  // Welch needs a variance in each arm, so an arm of 0 or 1 customer leaves the uplift undefined.
  let uplift: Uplift | null = null;
  let incrementalConversions: Interval | null = null;
  let incrementalRevenue: Interval | null = null;
  if (t.customers >= 2 && c.customers >= 2) {
    const z = twoSidedZ(confidence);
    const rate = newcombeInterval(t.converters, t.customers, c.converters, c.customers, z);
    const revenue = welchInterval(
      momentsFromSums(t.customers, treatment.revenue, treatment.revenueSumSquares),
      momentsFromSums(c.customers, control.revenue, control.revenueSumSquares),
      confidence,
    );
    uplift = {
      conversionRate: {
        absolute: rate.estimate,
        relative: c.conversionRate === 0 ? null : rate.estimate / c.conversionRate,
        ciLow: rate.low,
        ciHigh: rate.high,
      },
      revenuePerCustomer: { absolute: revenue.estimate, ciLow: revenue.low, ciHigh: revenue.high },
    };
    // The per-customer effect applied to everyone who was treated: what the campaign added.
    incrementalConversions = scaled(rate.estimate, rate.low, rate.high, t.customers);
    incrementalRevenue = scaled(revenue.estimate, revenue.low, revenue.high, t.customers);
  }

  let verdict: Verdict;
  if (
    uplift === null ||
    t.customers < minCustomers ||
    c.customers < minCustomers ||
    (t.converters === 0 && c.converters === 0)
  ) {
    verdict = 'insufficient_data';
  } else if (uplift.conversionRate.ciLow > 0 || uplift.conversionRate.ciHigh < 0) {
    verdict = 'significant';
  } else {
    verdict = 'not_significant';
  }

  return {
    treatment: t,
    holdout: c,
    uplift,
    incrementalConversions,
    incrementalRevenue,
    verdict,
    neededPerGroup: verdict === 'significant' ? null : neededPerGroup(t, c, mde),
  };
}
