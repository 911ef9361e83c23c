import type { CustomerNight } from './types.js';

export function addCount(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** The counter keys one customer's night contributes to the run summary. */
export function countsOfNight(night: CustomerNight): string[] {
  const keys = ['customers'];
  keys.push(`stage:${night.scores?.lifeStage ?? night.lifeStage}`);
  if (night.scores) keys.push('scoring:scored');
  if (night.scoreProblem) keys.push('scoring:unscorable');
  for (const s of night.signals) keys.push(`signal:${s.type}`);
  const d = night.decision;
  keys.push(`outcome:${d.outcome}`);
  if (d.campaignId) keys.push(`campaign:${d.campaignId}:${d.segmentId ?? '-'}:${d.outcome}`);
  for (const loser of d.losers ?? []) keys.push(`lost:${loser.campaignId}:${loser.reason}`);
  return keys;
}
