// Life-stage classification from purchase history, P(alive) and CLV tier.
import { z } from 'zod';
import type { ClvTier, LifeStage } from '../types.js';

export const LifeStageConfigSchema = z
  .object({
    /** A one-order customer is 'new' for this many days after the first order. */
    newCustomerDays: z.number().int().positive(),
    /** P(alive) below this → at_risk. */
    atRiskPAlive: z.number().min(0).max(1),
    /** P(alive) below this → lapsed. */
    lapsedPAlive: z.number().min(0).max(1),
    /** No order for more than this many days → lapsed. */
    lapsedDays: z.number().int().positive(),
    /** Overdue (→ at_risk) when days since last order > overdueFactor × the customer's mean inter-purchase days. */
    overdueFactor: z.number().positive(),
    /** The rhythm rule needs at least this many purchase days (two gaps by default). */
    rhythmMinPurchaseDays: z.number().int().min(2),
    /** A customer stays 'reactivated' for this many days after the purchase that brought them back. */
    reactivatedDays: z.number().int().nonnegative(),
    /** CLV tier that makes an alive customer 'vip'. */
    vipTier: z.enum(['low', 'medium', 'high', 'top']),
  })
  .refine((c) => c.lapsedPAlive <= c.atRiskPAlive, 'lapsedPAlive must be <= atRiskPAlive');
export type LifeStageConfig = z.infer<typeof LifeStageConfigSchema>;

export const DEFAULT_LIFE_STAGE_CONFIG: LifeStageConfig = {
  newCustomerDays: 30,
  atRiskPAlive: 0.5,
  lapsedPAlive: 0.2,
  lapsedDays: 365,
  overdueFactor: 3,
  rhythmMinPurchaseDays: 3,
  reactivatedDays: 30,
  vipTier: 'top',
};

export interface LifeStageInput {
  /** Distinct purchase days so far (0 = never ordered). */
  purchaseDays: number;
  daysSinceFirstOrder?: number | null;
  daysSinceLastOrder?: number | null;
  /** BG/NBD P(alive); null when not scored. */
  pAlive?: number | null;
  clvTier?: ClvTier | null;
  /** The stage stored from the previous night, if any. */
  previousStage?: LifeStage | null;
  /** The customer bought since the previous night's run. */
  boughtSincePrevious?: boolean;
}

/**
 * Rules, first match wins:
 * 1. prospect: no purchase day.
 * 2. new: exactly one purchase day, at most `newCustomerDays` ago.
 * 3. reactivated: previous stage lapsed and bought since (kept `reactivatedDays` after that purchase
 *    unless the customer lapses again).
 * 4. lapsed: P(alive) < lapsedPAlive or no order for > lapsedDays.
 * 5. at_risk: P(alive) < atRiskPAlive, or overdue against the customer's own rhythm.
 * 6. vip: CLV tier = vipTier (and not at risk).
 * 7. active.
 */
export function classifyLifeStage(
  input: LifeStageInput,
  config: LifeStageConfig = DEFAULT_LIFE_STAGE_CONFIG,
): LifeStage {
  const c = config;
  if (!(input.purchaseDays > 0)) return 'prospect';
  const sinceFirst = input.daysSinceFirstOrder ?? null;
  const sinceLast = input.daysSinceLastOrder ?? null;
  const pAlive = input.pAlive ?? null;
  if (input.purchaseDays === 1 && sinceFirst !== null && sinceFirst <= c.newCustomerDays) return 'new';
  const lapsed =
    (pAlive !== null && pAlive < c.lapsedPAlive) || (sinceLast !== null && sinceLast > c.lapsedDays);
  if (input.previousStage === 'lapsed' && input.boughtSincePrevious) return 'reactivated';
  if (lapsed) return 'lapsed';
  let overdue = false;
  if (input.purchaseDays >= c.rhythmMinPurchaseDays && sinceFirst !== null && sinceLast !== null) {
    const meanGap = (sinceFirst - sinceLast) / (input.purchaseDays - 1);
    overdue = meanGap > 0 && sinceLast > c.overdueFactor * meanGap;
  }
  const atRisk = (pAlive !== null && pAlive < c.atRiskPAlive) || overdue;
  if (atRisk) return 'at_risk';
  if (input.previousStage === 'reactivated' && sinceLast !== null && sinceLast <= c.reactivatedDays)
    return 'reactivated';
  if (input.clvTier === c.vipTier) return 'vip';
  return 'active';
}
