// Arbitration: which campaign (if any) one customer gets tonight. Pure and deterministic.
import { createHash } from 'node:crypto';
import type { IsoDate } from '../types.js';
import { type CompiledCampaign, isLive, matchSegment } from './compile.js';
import { daysBetween } from './dates.js';
import type { AudienceSubject } from './vocabulary.js';

export const BUCKETS = 10_000;

/**
 * A stable bucket in [0, 10000) for a key: the first 6 bytes of SHA-256(key) as a big-endian
 * unsigned integer, modulo 10000 (the modulo bias of a 48-bit value is below 1e-10).
 */
export function bucketOf(key: string): number {
  return createHash('sha256').update(key).digest().readUIntBE(0, 6) % BUCKETS;
}

/** The holdout bucket of a customer in a campaign: key `campaignId:customerId`, or `salt:campaignId:customerId`. */
export function holdoutBucket(campaignId: string, customerId: string, salt?: string): number {
  return bucketOf(salt ? `${salt}:${campaignId}:${customerId}` : `${campaignId}:${customerId}`);
}

/** Held out when the bucket is below holdoutPercent × 100 (10 % → buckets 0–999). */
export function isHeldOut(
  campaignId: string,
  customerId: string,
  holdoutPercent: number,
  salt?: string,
): boolean {
  return holdoutBucket(campaignId, customerId, salt) < Math.round(holdoutPercent * 100);
}

/** The global control bucket: key `control:salt:customerId`. */
export function inGlobalControl(customerId: string, controlPercent: number, salt: string): boolean {
  return bucketOf(`control:${salt}:${customerId}`) < Math.round(controlPercent * 100);
}

export type DecisionOutcome =
  | 'send'
  | 'holdout'
  | 'global_control'
  | 'suppressed'
  | 'no_consent'
  | 'paused'
  | 'capped'
  | 'no_match';

export type LoserReason =
  | 'suppressed'
  | 'no_consent'
  | 'paused'
  | 'frequency_cap'
  | 'global_cap'
  | 'lower_priority'
  | 'lower_value'
  | 'tie_break';

export interface ChosenCampaign {
  campaignId: string;
  campaignVersion?: string;
  segmentId: string;
}

export interface Decision {
  outcome: DecisionOutcome;
  /** The campaign that was sent, held out or would have been sent (global control). */
  chosen?: ChosenCampaign;
  /** Every other live campaign whose audience matched, and why it was not chosen. */
  losers: Array<{ campaignId: string; segmentId: string; reason: LoserReason }>;
}

export interface DecisionContext {
  history: { lastSentByCampaign: Record<string, IsoDate>; lastRetentionEmailAt?: IsoDate };
  /** At most one retention email per customer per this many days (0 = no global cap). */
  globalCapDays: number;
  globalControlPercent: number;
  globalControlSalt: string;
  /** On the suppression list (bounce, complaint, unsubscribe everywhere). */
  suppressed: boolean;
  /** The customer paused all email until this day (preference centre); none before it. */
  pausedUntil?: IsoDate | undefined;
}

interface Candidate {
  compiled: CompiledCampaign;
  segmentId: string;
  priority: number;
  value: number;
}

const within = (last: IsoDate | undefined, runDate: IsoDate, days: number): boolean =>
  last !== undefined && days > 0 && daysBetween(last, runDate) < days;

/** Priority descending, then expected value descending, then campaign id ascending. */
function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.value !== b.value) return b.value - a.value;
  return a.compiled.campaign.id < b.compiled.campaign.id
    ? -1
    : a.compiled.campaign.id > b.compiled.campaign.id
      ? 1
      : 0;
}

/**
 * Decides what one customer receives tonight (at most one email). The order, exactly:
 * 1. matching: each live candidate (isLive on subject.runDate) contributes its first matching segment;
 *    none → `no_match`.
 * 2. suppression: suppressed → `suppressed` (every match a loser with reason `suppressed`).
 * 3. email consent: consent.email false → `no_consent`.
 * 3b. pause: runDate before context.pausedUntil → `paused` (every match a loser with reason `paused`).
 * 4. topic consent: a campaign with a consentTopic needs consent.topics[topic] true, else loser `no_consent`.
 * 5. frequency cap: a campaign sent (or held out) to this customer less than frequencyCapDays ago → loser
 *    `frequency_cap`.
 * 6. global cap: any retention email (or holdout) less than globalCapDays ago → all remaining lose with
 *    `global_cap`, outcome `capped`.
 *    If steps 4–5 eliminated everyone: `no_consent` when every match lacked topic consent, else `capped`.
 * 7. ranking: priority desc, then expected value desc (scores.clv × segment valueWeight, default 1;
 *    0 when unscored), then campaign id asc. The first is chosen; the others lose with `lower_priority`,
 *    `lower_value` or `tie_break`.
 * 8. global control group: customer in the control group → `global_control` (chosen recorded, nothing sent).
 * 9. campaign holdout: customer held out of the chosen campaign → `holdout` (no fallback to another campaign).
 * 10. otherwise `send`.
 */
export function decide(
  subject: AudienceSubject,
  candidates: readonly CompiledCampaign[],
  context: DecisionContext,
): Decision {
  const runDate = subject.runDate;
  const matches: Candidate[] = [];
  for (const compiled of candidates) {
    if (!isLive(compiled, runDate)) continue;
    const segment = matchSegment(compiled, subject);
    if (!segment) continue;
    matches.push({
      compiled,
      segmentId: segment.id,
      priority: compiled.campaign.priority,
      value: (subject.scores?.clv ?? 0) * (segment.valueWeight ?? 1),
    });
  }
  matches.sort(compareCandidates);
  const loser = (c: Candidate, reason: LoserReason) => ({
    campaignId: c.compiled.campaign.id,
    segmentId: c.segmentId,
    reason,
  });
  if (matches.length === 0) return { outcome: 'no_match', losers: [] };
  if (context.suppressed)
    return { outcome: 'suppressed', losers: matches.map((c) => loser(c, 'suppressed')) };
  const consent = subject.profile.consent;
  if (!consent.email) return { outcome: 'no_consent', losers: matches.map((c) => loser(c, 'no_consent')) };
  if (context.pausedUntil !== undefined && runDate < context.pausedUntil)
    return { outcome: 'paused', losers: matches.map((c) => loser(c, 'paused')) };

  const losers: Decision['losers'] = [];
  const eligible: Candidate[] = [];
  for (const c of matches) {
    const { consentTopic, frequencyCapDays, id } = c.compiled.campaign;
    if (consentTopic !== undefined && consent.topics[consentTopic] !== true)
      losers.push(loser(c, 'no_consent'));
    else if (within(context.history.lastSentByCampaign[id], runDate, frequencyCapDays)) {
      losers.push(loser(c, 'frequency_cap'));
    } else eligible.push(c);
  }
  if (eligible.length === 0) {
    const allConsent = losers.every((l) => l.reason === 'no_consent');
    return { outcome: allConsent ? 'no_consent' : 'capped', losers };
  }
  if (within(context.history.lastRetentionEmailAt, runDate, context.globalCapDays)) {
    return { outcome: 'capped', losers: [...losers, ...eligible.map((c) => loser(c, 'global_cap'))] };
  }

  const [winner, ...rest] = eligible as [Candidate, ...Candidate[]];
  for (const c of rest) {
    losers.push(
      loser(
        c,
        c.priority < winner.priority
          ? 'lower_priority'
          : c.value < winner.value
            ? 'lower_value'
            : 'tie_break',
      ),
    );
  }
  const chosen: ChosenCampaign = {
    campaignId: winner.compiled.campaign.id,
    campaignVersion: winner.compiled.campaign.version,
    segmentId: winner.segmentId,
  };
  const customerId = subject.profile.customerId;
  if (inGlobalControl(customerId, context.globalControlPercent, context.globalControlSalt)) {
    return { outcome: 'global_control', chosen, losers };
  }
  const c = winner.compiled.campaign;
  if (isHeldOut(c.id, customerId, c.holdoutPercent, c.holdoutSalt))
    return { outcome: 'holdout', chosen, losers };
  return { outcome: 'send', chosen, losers };
}
