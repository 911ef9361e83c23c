import type { IsoDate } from '../types.js';
import { daysBetween } from './dates.js';
import type { CustomerNight } from './types.js';

/**
 * The days-since-last-order histogram is kept for 0..RECENCY_HISTOGRAM_DAYS-1 days: an N-day attrition
 * rate needs the bins 0..2N-1 (docs/goals.md), so goals can use horizons up to half of it. Older
 * customers are not counted; the bound keeps a segment's counters to a few kilobytes.
 */
export const RECENCY_HISTOGRAM_DAYS = 366;

export function addCount(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/**
 * The counter keys one customer's night contributes to the run summary. `lastOrderDate` is the
 * customer's last order as seen tonight; it feeds the recency histogram behind the attrition goal.
 */
export function countsOfNight(night: CustomerNight, lastOrderDate?: IsoDate): string[] {
  const keys = ['customers'];
  keys.push(`stage:${night.scores?.lifeStage ?? night.lifeStage}`);
  if (night.scores) keys.push('scoring:scored');
  if (night.scoreProblem) keys.push('scoring:unscorable');
  for (const s of night.signals) {
    keys.push(`signal:${s.type}`);
    // The stage flow: a move is read off the signal, so it needs nothing more on the customer record.
    if (s.type === 'stage_changed') keys.push(`move:${s.from}>${s.to}`);
  }
  if (lastOrderDate !== undefined && lastOrderDate <= night.runDate) {
    const days = daysBetween(lastOrderDate, night.runDate);
    if (days < RECENCY_HISTOGRAM_DAYS) keys.push(`recency:${days}`);
  }
  const d = night.decision;
  keys.push(`outcome:${d.outcome}`);
  if (d.campaignId) keys.push(`campaign:${d.campaignId}:${d.segmentId ?? '-'}:${d.outcome}`);
  for (const loser of d.losers ?? []) keys.push(`lost:${loser.campaignId}:${loser.reason}`);
  return keys;
}
