// Shared vocabulary of the domain. Everything here is plain data, JSON-serialisable,
// so it can be stored in DynamoDB and passed between Step Functions states unchanged.

/** ISO calendar date, YYYY-MM-DD (UTC). */
export type IsoDate = string;

export interface Consent {
  /** Marketing email consent as a whole. */
  email: boolean;
  /** Per-topic consent (e.g. `offers`, `birthday`); a missing topic means no consent. */
  topics: Record<string, boolean>;
}

export interface CustomerProfile {
  customerId: string;
  email: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  /** BCP 47 language tag, e.g. `en`, `de-AT`. */
  language: string;
  /** IANA time zone, e.g. `Europe/Berlin`. */
  timeZone: string;
  birthDate?: IsoDate | undefined;
  signupDate: IsoDate;
  consent: Consent;
  /** Free-form custom attributes that campaign rules can target. */
  attributes: Record<string, string | number | boolean>;
}

/**
 * Purchase aggregates, maintained at ingest so the nightly pass never reads orders.
 * A "purchase day" merges all orders of one calendar day (buy-till-you-die convention).
 */
export interface PurchaseAggregates {
  orderCount: number;
  purchaseDays: number;
  totalSpent: number;
  /** Amount spent on the first purchase day (excluded from the repeat-spend mean). */
  firstDaySpent: number;
  firstOrderDate?: IsoDate | undefined;
  lastOrderDate?: IsoDate | undefined;
  currency: string;
}

/** The buy-till-you-die summary of one customer at an observation date, in the model's time unit. */
export interface RfmSummary {
  /** Repeat purchase periods (purchase days minus one). */
  frequency: number;
  /** Time from first to last purchase. */
  recency: number;
  /** Age: time from first purchase to the observation end. */
  T: number;
  /** Mean spend of the repeat purchase days; 0 when frequency is 0. */
  monetaryValue: number;
}

export type LifeStage = 'prospect' | 'new' | 'active' | 'at_risk' | 'lapsed' | 'reactivated' | 'vip';

export const LIFE_STAGES: readonly LifeStage[] = [
  'prospect',
  'new',
  'active',
  'at_risk',
  'lapsed',
  'reactivated',
  'vip',
];

export type ClvTier = 'low' | 'medium' | 'high' | 'top';

export type RfmGroup =
  | 'Champions'
  | 'Loyal'
  | 'Potential Loyalist'
  | 'New'
  | 'Promising'
  | 'Need Attention'
  | 'About To Sleep'
  | 'At Risk'
  | "Can't Lose Them"
  | 'Hibernating'
  | 'Lost';

export interface RfmScores {
  r: number;
  f: number;
  m: number;
  group: RfmGroup;
}

/** What a night computes for one customer. */
export interface CustomerScores {
  summary: RfmSummary;
  pAlive: number;
  /** Expected purchases over the configured horizon. */
  expectedPurchases: number;
  /** Gamma-Gamma conditional expected average order value. */
  expectedAvgValue: number;
  clv: number;
  clvTier: ClvTier;
  rfm: RfmScores;
  lifeStage: LifeStage;
}

/** Something that changed since the customer's previous night. Fires once per occurrence. */
export type Signal =
  | { type: 'stage_changed'; from: LifeStage; to: LifeStage }
  | { type: 'p_alive_below'; threshold: number }
  | { type: 'clv_tier_changed'; from: ClvTier; to: ClvTier; direction: 'up' | 'down' }
  | { type: 'birthday'; inDays: number; date: IsoDate }
  | { type: 'signup_anniversary'; years: number; inDays: number; date: IsoDate }
  | { type: 'first_order_anniversary'; years: number; inDays: number; date: IsoDate }
  | { type: 'tenure_milestone'; days: number };

export type SignalType = Signal['type'];
