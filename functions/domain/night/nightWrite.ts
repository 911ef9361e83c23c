import type { CustomerNight } from './types.js';

/**
 * How far a stored score may drift from tonight's before the customer item is rewritten. Scores
 * of a customer with no new order decay a little every night; rewriting 10 million items for that
 * costs more than the whole rest of the night. Readers of the stored night (reports, `customer
 * show`, the send stage's templates) get values computed on `night.runDate`, at most this far off.
 */
export const SCORE_TOLERANCE = {
  /** Absolute difference in P(alive). */
  pAlive: 0.02,
  /** Relative difference in expected purchases, expected average value and CLV. */
  relative: 0.05,
} as const;

export type NightWriteReason =
  | 'first_night'
  | 'contact'
  | 'signal'
  | 'stage'
  | 'tier'
  | 'rfm_group'
  | 'decision'
  | 'scored_state'
  | 'score_drift';

/**
 * Whether tonight's result must be stored on the customer, and why. Nothing here may be skipped
 * that the next night reads: signal detection compares against the stored signal state, so any
 * change in stage, tier or fired life events is written, and a P(alive) threshold crossing is a
 * signal itself. A skipped customer keeps an older `night` whose `runDate` says when it was
 * computed; re-running tonight recomputes the same result from the same stored state, which is why
 * the skip needs no marker of its own.
 */
export function nightWriteReason(
  stored: CustomerNight | undefined,
  tonight: CustomerNight,
  recordsContact: boolean,
): NightWriteReason | null {
  if (recordsContact) return 'contact';
  if (!stored) return 'first_night';
  if (tonight.signals.length > 0) return 'signal';
  if (stored.lifeStage !== tonight.lifeStage) return 'stage';
  const storedFired = new Set(stored.signalState?.fired ?? []);
  if (tonight.signalState.fired.some((key) => !storedFired.has(key))) return 'signal';
  if (stored.signalState?.lifeStage !== tonight.signalState.lifeStage) return 'stage';
  if (stored.signalState?.clvTier !== tonight.signalState.clvTier) return 'tier';
  // The stored decision is what support (`customer show`) reads as the customer's standing, so a
  // move into or out of `paused`, `no_consent` or `suppressed` is kept. Other moves (a send, then
  // `capped` while the cap runs; `no_match` when a rule stops matching) follow from the stored
  // contact history and the campaigns, and rewriting every cooled-down customer would double a
  // steady night's writes.
  if (decisionChanged(stored.decision, tonight.decision)) return 'decision';
  const before = stored.scores;
  const after = tonight.scores;
  if ((before === null) !== (after === null) || stored.scoreProblem !== tonight.scoreProblem)
    return 'scored_state';
  if (before && after) {
    if (before.clvTier !== after.clvTier) return 'tier';
    if (before.rfm.group !== after.rfm.group) return 'rfm_group';
    if (Math.abs(before.pAlive - after.pAlive) > SCORE_TOLERANCE.pAlive) return 'score_drift';
    if (
      beyond(before.expectedPurchases, after.expectedPurchases) ||
      beyond(before.expectedAvgValue, after.expectedAvgValue) ||
      beyond(before.clv, after.clv)
    )
      return 'score_drift';
  }
  return null;
}

/** Outcomes that come from the customer's own standing (consent, preferences, suppression). */
const STANDING_OUTCOMES: ReadonlySet<string> = new Set(['suppressed', 'no_consent', 'paused']);

function decisionChanged(
  before: CustomerNight['decision'] | undefined,
  after: CustomerNight['decision'],
): boolean {
  if (before?.outcome === after.outcome) return false;
  return (
    STANDING_OUTCOMES.has(after.outcome) || (before !== undefined && STANDING_OUTCOMES.has(before.outcome))
  );
}

function beyond(before: number, after: number): boolean {
  const scale = Math.max(Math.abs(before), Math.abs(after));
  return scale > 0 && Math.abs(after - before) / scale > SCORE_TOLERANCE.relative;
}
