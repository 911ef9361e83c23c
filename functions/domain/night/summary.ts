import type { SendingSwitch } from '../delivery/guardrail.js';
import type { SendCapacityCheck } from '../delivery/sendCapacity.js';
import { type SendWave, wavesFromCounts } from '../delivery/sendWaves.js';
import type { RunPlan } from './plan.js';

interface SegmentCounts {
  segment: number;
  /** Send stage: the wave the segment's record belongs to. */
  wave?: string | undefined;
  done: boolean;
  counts: Record<string, number>;
  invocations: number;
}

export interface CampaignSegmentSummary {
  campaignId: string;
  segmentId: string;
  chosen: number;
  send: number;
  holdout: number;
  globalControl: number;
  suppressed: number;
  sent: number;
  skipped: number;
  failed: number;
  ambiguous: number;
}

export interface RunSummary {
  runDate: string;
  customers: number;
  /** Customers with scores tonight (the others have no orders or could not be scored). */
  scored: number;
  unscorable: number;
  models: RunPlan['models'];
  modelProblem?: string | undefined;
  modelCheck?: RunPlan['modelCheck'];
  population: RunPlan['population'];
  stages: Record<string, number>;
  /** Stage moves tonight, `from>to` (from each customer's stage_changed signal). */
  moves: Record<string, number>;
  /** Customers by days since their last order as seen tonight (`0`..`365`), for the attrition goal. */
  recency: Record<string, number>;
  signals: Record<string, number>;
  outcomes: Record<string, number>;
  campaigns: CampaignSegmentSummary[];
  losers: Record<string, number>;
  send: Record<string, number>;
  /** The local-time send waves, in opening order, with what each sent and what missed its window. */
  waves?: WaveSummary[] | undefined;
  /** The kill switch when the night ended, if sending was paused. */
  sending?: SendingSwitch | undefined;
  /** Prepare's quota and send-window check (RunPlan.sendCapacity). */
  sendCapacity?: SendCapacityCheck | undefined;
  work: {
    scoreInvocations: number;
    sendInvocations: number;
    segments: number;
    incompleteSegments: number;
    /** Customers whose night was stored tonight, and those left as they were (changed too little). */
    customersWritten: number;
    customersUnchanged: number;
    /** Found already decided tonight (an earlier attempt wrote them, then did not save its page). */
    customersAlreadyDone: number;
    /** Whose write found tonight's night already stored (another attempt wrote it in between). */
    customersRaced: number;
  };
}

export interface WaveSummary extends SendWave {
  sent: number;
  /** Skipped because the wave's window closed before they could go out. */
  windowMissed: number;
}

function sumCounts(list: readonly SegmentCounts[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const s of list) for (const [k, v] of Object.entries(s.counts)) total[k] = (total[k] ?? 0) + v;
  return total;
}

function byPrefix(counts: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Turns the per-segment counters of both phases into the run report. */
export function summarizeCounts(
  plan: RunPlan,
  score: readonly SegmentCounts[],
  send: readonly SegmentCounts[],
): RunSummary {
  const s = sumCounts(score);
  const d = sumCounts(send);
  const campaigns = new Map<string, CampaignSegmentSummary>();
  const entry = (campaignId: string, segmentId: string) => {
    const key = `${campaignId}:${segmentId}`;
    let c = campaigns.get(key);
    if (!c) {
      c = {
        campaignId,
        segmentId,
        chosen: 0,
        send: 0,
        holdout: 0,
        globalControl: 0,
        suppressed: 0,
        sent: 0,
        skipped: 0,
        failed: 0,
        ambiguous: 0,
      };
      campaigns.set(key, c);
    }
    return c;
  };
  for (const [k, v] of Object.entries(byPrefix(s, 'campaign:'))) {
    const [campaignId = '', segmentId = '', outcome = ''] = k.split(':');
    const c = entry(campaignId, segmentId);
    c.chosen += v;
    if (outcome === 'send') c.send += v;
    else if (outcome === 'holdout') c.holdout += v;
    else if (outcome === 'global_control') c.globalControl += v;
    else if (outcome === 'suppressed') c.suppressed += v;
  }
  for (const [k, v] of Object.entries(byPrefix(d, 'campaign:'))) {
    const [campaignId = '', segmentId = '', outcome = ''] = k.split(':');
    const c = entry(campaignId, segmentId);
    if (outcome === 'sent') c.sent += v;
    else if (outcome === 'skipped') c.skipped += v;
    else if (outcome === 'failed' || outcome === 'invalid_address') c.failed += v;
    else if (outcome === 'ambiguous') c.ambiguous += v;
  }
  return {
    runDate: plan.runDate,
    customers: s.customers ?? 0,
    scored: s['scoring:scored'] ?? 0,
    unscorable: s['scoring:unscorable'] ?? 0,
    models: plan.models,
    modelProblem: plan.modelProblem,
    modelCheck: plan.modelCheck,
    population: plan.population,
    stages: byPrefix(s, 'stage:'),
    moves: byPrefix(s, 'move:'),
    recency: byPrefix(s, 'recency:'),
    signals: byPrefix(s, 'signal:'),
    outcomes: byPrefix(s, 'outcome:'),
    campaigns: [...campaigns.values()].sort((a, b) =>
      a.campaignId === b.campaignId
        ? a.segmentId.localeCompare(b.segmentId)
        : a.campaignId.localeCompare(b.campaignId),
    ),
    losers: byPrefix(s, 'lost:'),
    send: byPrefix(d, 'send:'),
    waves: wavesFromCounts(s).map((wave) => {
      const mine = sumCounts(send.filter((x) => x.wave === wave.waveId));
      return {
        ...wave,
        sent: mine['send:sent'] ?? 0,
        windowMissed: mine['send:skipped:window_missed'] ?? 0,
      };
    }),
    work: {
      scoreInvocations: score.reduce((n, x) => n + x.invocations, 0),
      sendInvocations: send.reduce((n, x) => n + x.invocations, 0),
      segments: score.length,
      incompleteSegments: score.filter((x) => !x.done).length + send.filter((x) => !x.done).length,
      customersWritten: s['work:scored'] ?? 0,
      customersUnchanged: s['work:unchanged'] ?? 0,
      customersAlreadyDone: s['work:alreadyDone'] ?? 0,
      customersRaced: s['work:raced'] ?? 0,
    },
  };
}
