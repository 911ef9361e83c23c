// CLV tiers: top / high / medium / low by population share.
import { z } from 'zod';
import type { ClvTier } from '../types.js';
import { quantileSorted, sortedFinite } from './quantile.js';

export const ClvTierConfigSchema = z
  .object({
    top: z.number().gt(0).lt(1),
    high: z.number().gte(0).lt(1),
    medium: z.number().gte(0).lt(1),
  })
  .refine((c) => c.top + c.high + c.medium <= 1, 'top + high + medium shares must not exceed 1');
export type ClvTierConfig = z.infer<typeof ClvTierConfigSchema>;

/** Shares of the population: top 5 %, next 15 % high, next 30 % medium, rest low. */
export const DEFAULT_CLV_TIER_CONFIG: ClvTierConfig = { top: 0.05, high: 0.15, medium: 0.3 };

export const ClvTierBreakpointsSchema = z.object({
  top: z.number().finite(),
  high: z.number().finite(),
  medium: z.number().finite(),
});
/** Lower bounds (exclusive) of each tier; JSON, computed once per night. */
export type ClvTierBreakpoints = z.infer<typeof ClvTierBreakpointsSchema>;

export function clvTierBreakpoints(
  clvs: ArrayLike<number>,
  config: ClvTierConfig = DEFAULT_CLV_TIER_CONFIG,
): ClvTierBreakpoints {
  const c = ClvTierConfigSchema.parse(config);
  const s = sortedFinite(clvs, 'clv');
  if (s.length === 0) throw new Error('clvTierBreakpoints: no CLV values');
  return {
    top: quantileSorted(s, 1 - c.top),
    high: quantileSorted(s, 1 - c.top - c.high),
    medium: quantileSorted(s, 1 - c.top - c.high - c.medium),
  };
}

/** A value strictly above a breakpoint is in that tier (ties stay below, so a mass of zeros is 'low'). */
export function clvTier(bp: ClvTierBreakpoints, clv: number): ClvTier {
  if (!Number.isFinite(clv)) throw new Error('clvTier: clv must be finite');
  if (clv > bp.top) return 'top';
  if (clv > bp.high) return 'high';
  if (clv > bp.medium) return 'medium';
  return 'low';
}

export const CLV_TIER_RANK: Record<ClvTier, number> = { low: 0, medium: 1, high: 2, top: 3 };
