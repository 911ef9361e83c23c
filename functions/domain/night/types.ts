import type { DecisionOutcome, LoserReason } from '../campaigns/decide.js';
import type { SignalState } from '../scoring/signals.js';
import type { CustomerScores, IsoDate, LifeStage, Signal } from '../types.js';

/** What one night leaves on the customer record: the scores to target on and the state to detect change. */
export interface CustomerNight {
  runDate: IsoDate;
  lifeStage: LifeStage;
  /** null when the customer has no orders or cannot be scored (then scoreProblem says why). */
  scores: CustomerScores | null;
  scoreProblem?: string | undefined;
  signals: Signal[];
  signalState: SignalState;
  decision: {
    outcome: DecisionOutcome;
    campaignId?: string | undefined;
    campaignVersion?: number | undefined;
    segmentId?: string | undefined;
    suppression?: string | undefined;
    losers?: { campaignId: string; reason: LoserReason }[] | undefined;
  };
}
