import { type Decision, decide } from '../campaigns/decide.js';

type NightDecision = Omit<Decision, 'chosen'> & {
  chosen?: { campaignId: string; campaignVersion: number; segmentId: string } | undefined;
};

import type { AudienceSubject } from '../campaigns/vocabulary.js';
import { isPaused, type NightPreferences, nightPreferences } from '../preferences/preferences.js';
import { classifyLifeStage } from '../scoring/lifestage.js';
import { scoreCustomer } from '../scoring/model.js';
import { rfmScores } from '../scoring/rfm.js';
import { detectSignals, type SignalState, SignalStateSchema } from '../scoring/signals.js';
import { summarizeAggregates } from '../scoring/summary.js';
import { clvTier } from '../scoring/tiers.js';
import type { ClvTier, CustomerProfile, CustomerScores, IsoDate, PurchaseAggregates } from '../types.js';
import type { LoadedCampaign, NightContext } from './context.js';
import { daysBetween } from './dates.js';
import type { CustomerNight } from './types.js';

/** The parts of a customer record the nightly decision reads. */
export interface CustomerInput {
  customerId: string;
  profile: CustomerProfile;
  aggregates: PurchaseAggregates;
  contact?:
    | { lastByCampaign?: Record<string, IsoDate>; lastRetentionEmailAt?: IsoDate | undefined }
    | undefined;
  night?: { signalState?: unknown } | undefined;
  /** The customer's choices from the preference centre (validated here: a stored value is untrusted). */
  preferences?: unknown;
}

export interface DecidedCustomer {
  night: CustomerNight;
  decision: NightDecision;
  subject: AudienceSubject;
  history: { lastSentByCampaign: Record<string, IsoDate>; lastRetentionEmailAt?: IsoDate | undefined };
  /** Consent and caps after the customer's own preferences. */
  preferences: NightPreferences;
}

/** Scores one customer, classifies the stage, detects signals and decides tonight's email: pure. */
export function decideCustomer(ctx: NightContext, customer: CustomerInput): DecidedCustomer {
  const { plan } = ctx;
  const runDate = plan.runDate;
  const agg = customer.aggregates;
  const parsedPrev = SignalStateSchema.safeParse(customer.night?.signalState);
  const previous: SignalState | null = parsedPrev.success ? parsedPrev.data : null;

  let scores: CustomerScores | null = null;
  let scoreProblem: string | undefined;
  let pAlive: number | null = null;
  let tier: ClvTier | null = null;
  const hasOrders =
    agg.purchaseDays > 0 && agg.firstOrderDate !== undefined && agg.lastOrderDate !== undefined;
  const futureOrders = hasOrders && (agg.lastOrderDate as IsoDate) > runDate;
  const daysSinceLastOrder =
    hasOrders && !futureOrders ? daysBetween(agg.lastOrderDate as IsoDate, runDate) : null;
  const daysSinceFirstOrder =
    hasOrders && !futureOrders ? daysBetween(agg.firstOrderDate as IsoDate, runDate) : null;

  if (futureOrders) {
    scoreProblem = `orders dated after the run date ${runDate}`;
  } else if (hasOrders) {
    const summary = summarizeAggregates(agg, runDate, 'day');
    if (!summary) {
      scoreProblem = 'purchase aggregates are incomplete';
    } else if (!plan.models) {
      scoreProblem = plan.modelProblem ?? 'no fitted model tonight';
    } else {
      const r = scoreCustomer(plan.models, summary, {
        horizon: plan.settings.horizonDays,
        clvMonths: plan.settings.clvMonths,
        discount: plan.settings.monthlyDiscount,
        timeUnit: 'day',
      });
      if (!r.ok) {
        scoreProblem = r.reason;
      } else {
        pAlive = r.pAlive;
        tier = plan.clvTiers ? clvTier(plan.clvTiers, r.clv) : null;
        const rfm = plan.rfm
          ? rfmScores(plan.rfm, {
              daysSinceLastOrder: daysSinceLastOrder ?? 0,
              frequency: agg.purchaseDays,
              monetary: agg.totalSpent,
            })
          : null;
        if (rfm && tier) {
          scores = {
            summary,
            pAlive: r.pAlive,
            expectedPurchases: r.expectedPurchases,
            expectedAvgValue: r.expectedAvgValue,
            clv: r.clv,
            clvTier: tier,
            rfm,
            lifeStage: 'active',
          };
        } else {
          scoreProblem = 'no population breakpoints tonight';
        }
      }
    }
  }

  const lifeStage = classifyLifeStage(
    {
      purchaseDays: futureOrders ? 0 : agg.purchaseDays,
      daysSinceFirstOrder,
      daysSinceLastOrder,
      pAlive,
      clvTier: tier,
      previousStage: previous?.lifeStage ?? null,
      boughtSincePrevious:
        previous !== null && agg.lastOrderDate !== undefined && agg.lastOrderDate > previous.runDate,
    },
    plan.lifeStage,
  );
  if (scores) scores = { ...scores, lifeStage };

  const { signals, state } = detectSignals(
    previous,
    {
      lifeStage,
      clvTier: tier,
      pAlive,
      birthDate: customer.profile.birthDate,
      signupDate: customer.profile.signupDate,
      firstOrderDate: futureOrders ? undefined : agg.firstOrderDate,
    },
    runDate,
    plan.signals,
  );

  const preferences = nightPreferences(
    customer.profile.consent,
    customer.preferences,
    plan.settings.globalCapDays,
  );
  const subject: AudienceSubject = {
    profile: { ...customer.profile, consent: preferences.consent },
    aggregates: agg,
    scores,
    lifeStage,
    previousLifeStage: previous?.lifeStage ?? null,
    signals,
    runDate,
  };
  const history = {
    lastSentByCampaign: customer.contact?.lastByCampaign ?? {},
    lastRetentionEmailAt: customer.contact?.lastRetentionEmailAt,
  };
  const decision = decideFor(ctx, subject, history, preferences, false);
  return {
    subject,
    history,
    preferences,
    decision,
    night: {
      runDate,
      lifeStage,
      scores,
      scoreProblem,
      signals,
      signalState: state,
      decision: nightDecision(decision),
    },
  };
}

function decideFor(
  ctx: NightContext,
  subject: AudienceSubject,
  history: DecidedCustomer['history'],
  preferences: NightPreferences,
  suppressed: boolean,
): DecidedCustomer['decision'] {
  const decision = decide(subject, ctx.compiled, {
    history: {
      lastSentByCampaign: history.lastSentByCampaign,
      ...(history.lastRetentionEmailAt ? { lastRetentionEmailAt: history.lastRetentionEmailAt } : {}),
    },
    globalCapDays: preferences.globalCapDays,
    pausedUntil: preferences.pausedUntil,
    globalControlPercent: ctx.plan.settings.globalControlPercent,
    globalControlSalt: ctx.plan.settings.holdoutSalt,
    suppressed,
  });
  if (!decision.chosen) return { ...decision, chosen: undefined };
  const loaded = ctx.campaigns.get(decision.chosen.campaignId);
  return {
    ...decision,
    chosen: {
      campaignId: decision.chosen.campaignId,
      segmentId: decision.chosen.segmentId,
      campaignVersion: loaded?.version ?? 0,
    },
  };
}

function nightDecision(
  decision: DecidedCustomer['decision'],
  suppression?: string,
): CustomerNight['decision'] {
  return {
    outcome: decision.outcome,
    campaignId: decision.chosen?.campaignId,
    campaignVersion: decision.chosen?.campaignVersion,
    segmentId: decision.chosen?.segmentId,
    suppression,
    losers: decision.losers.map((l) => ({ campaignId: l.campaignId, reason: l.reason })),
  };
}

/** The same decision for a customer found on the suppression list (checked only for would-be sends). */
export function withSuppression(
  ctx: NightContext,
  decided: DecidedCustomer,
  reason: string,
): DecidedCustomer {
  const decision = decideFor(ctx, decided.subject, decided.history, decided.preferences, true);
  return { ...decided, decision, night: { ...decided.night, decision: nightDecision(decision, reason) } };
}

export type Eligibility =
  | { ok: true }
  | { ok: false; code: 'missing' | 'suppressed' | 'no_consent'; reason: string };

/**
 * Checked again right before sending: consent, suppression and the customer's preferences may have
 * changed since the decision. `runDate` is the night the email was decided for (a pause is checked
 * against it, as the decision was).
 */
export function stillEligible(
  customer: { profile: CustomerProfile; preferences?: unknown } | undefined,
  campaign: LoadedCampaign | undefined,
  suppression: string | undefined,
  runDate?: IsoDate,
): Eligibility {
  if (!customer) return { ok: false, code: 'missing', reason: 'customer no longer exists' };
  if (suppression) return { ok: false, code: 'suppressed', reason: `suppressed: ${suppression}` };
  const prefs = nightPreferences(customer.profile.consent, customer.preferences, 0);
  if (!prefs.consent.email) return { ok: false, code: 'no_consent', reason: 'email consent withdrawn' };
  if (runDate !== undefined && isPaused(prefs, runDate)) {
    return { ok: false, code: 'no_consent', reason: `emails paused until ${prefs.pausedUntil}` };
  }
  const topic = campaign?.compiled.campaign.consentTopic;
  if (topic && prefs.consent.topics[topic] !== true) {
    return { ok: false, code: 'no_consent', reason: `no consent for topic ${topic}` };
  }
  return { ok: true };
}
