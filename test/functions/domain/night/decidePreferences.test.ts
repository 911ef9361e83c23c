import { describe, expect, it } from 'vitest';
import { syntheticCustomer } from '../../../../cli/seed/synthetic.js';
import { aggregateOrders } from '../../../../functions/domain/ingest/aggregates.js';
import { compileNight } from '../../../../functions/domain/night/context.js';
import {
  decideCustomer,
  stillEligible,
  withSuppression,
} from '../../../../functions/domain/night/decideCustomer.js';
import { buildRunPlan } from '../../../../functions/domain/night/plan.js';
import {
  applyPreferenceChange,
  type PreferenceChange,
} from '../../../../functions/domain/preferences/preferences.js';

// The night honours what a customer chose in the preference centre: topics, frequency, pause.

const RUN_DATE = '2026-11-20';
const CAMPAIGN = `id: offers-probe
name: Offers probe
owner: test@example.com
status: active
schedule: { start: 2025-01-01 }
priority: 10
holdoutPercent: 0
frequencyCapDays: 3
consentTopic: offers
segments:
  - id: everyone
    audience: { signupDate: { lt: 2100-01-01 } }
    offer: { subject: Hello, html: "<p>Hi</p>", text: Hi }
`;

const people = Array.from({ length: 200 }, (_, i) =>
  syntheticCustomer(i, { customers: 200, seed: 3, asOf: RUN_DATE }),
);
const plan = buildRunPlan({
  runDate: RUN_DATE,
  population: people.map((p) => aggregateOrders(p.orders, 'EUR')),
  sampledFraction: 1,
  campaigns: [{ campaignId: 'offers-probe', version: 1 }],
  settings: {
    horizonDays: 90,
    clvMonths: 12,
    monthlyDiscount: 0.01,
    globalCapDays: 7,
    globalControlPercent: 0,
    holdoutSalt: 's',
  },
});
const night = compileNight(plan, [
  { campaignId: 'offers-probe', version: 1, fileName: 'probe.yaml', source: CAMPAIGN, templates: {} },
]);
const person = people[0]!;

function customer(change?: PreferenceChange, lastEmail?: string, at = new Date('2026-11-18T10:00:00Z')) {
  const preferences = change
    ? applyPreferenceChange(person.profile.customerId, undefined, change, at, 'test', { offers: true })?.next
    : undefined;
  return {
    customerId: person.profile.customerId,
    profile: { ...person.profile, consent: { email: true, topics: { offers: true } } },
    aggregates: aggregateOrders(person.orders, 'EUR'),
    contact: {
      lastByCampaign: (lastEmail ? { other: lastEmail } : {}) as Record<string, string>,
      ...(lastEmail ? { lastRetentionEmailAt: lastEmail } : {}),
    },
    ...(preferences ? { preferences } : {}),
  };
}

describe('the night honours the preference centre', () => {
  it('sends without preferences (the probe matches)', () => {
    expect(night.problems, JSON.stringify(night.problems)).toEqual([]);
    expect(decideCustomer(night, customer()).decision.outcome).toBe('send');
    // 10 days since the last email: past the shop's 7-day cap.
    expect(decideCustomer(night, customer(undefined, '2026-11-10')).decision.outcome).toBe('send');
  });

  it('a topic switched off in the centre overrides the imported consent', () => {
    const decided = decideCustomer(night, customer({ topics: { offers: false } }));
    expect(decided.decision.outcome).toBe('no_consent');
    expect(decided.decision.losers).toEqual([
      { campaignId: 'offers-probe', segmentId: 'everyone', reason: 'no_consent' },
    ]);
  });

  it('"at most one a month" caps 10 days after an email, where the shop caps only 7', () => {
    const monthly = decideCustomer(night, customer({ frequency: 'monthly' }, '2026-11-10'));
    expect(monthly.decision.outcome).toBe('capped');
    expect(monthly.decision.losers[0]?.reason).toBe('global_cap');
    expect(monthly.preferences.globalCapDays).toBe(30);
    expect(decideCustomer(night, customer({ frequency: 'monthly' }, '2026-10-20')).decision.outcome).toBe(
      'send',
    );
  });

  it('"at most one a week" never loosens a stricter shop cap', () => {
    expect(decideCustomer(night, customer({ frequency: 'weekly' }, '2026-11-15')).decision.outcome).toBe(
      'capped',
    );
    expect(decideCustomer(night, customer({ frequency: 'weekly' }, '2026-11-12')).decision.outcome).toBe(
      'send',
    );
  });

  it('a pause holds every email until its end day, then sending resumes', () => {
    const paused = decideCustomer(night, customer({ pause: true }));
    expect(paused.decision.outcome).toBe('paused');
    expect(paused.night.decision.losers).toEqual([{ campaignId: 'offers-probe', reason: 'paused' }]);
    // Paused on 2026-10-21 → until 2026-11-20: the night of the 20th sends again.
    const ended = decideCustomer(
      night,
      customer({ pause: true }, undefined, new Date('2026-10-21T08:00:00Z')),
    );
    expect(ended.preferences.pausedUntil).toBe('2026-11-20');
    expect(ended.decision.outcome).toBe('send');
  });

  it('keeps the customer caps when the suppression list turns the decision over', () => {
    const decided = decideCustomer(night, customer({ frequency: 'monthly' }));
    expect(withSuppression(night, decided, 'unsubscribed').decision.outcome).toBe('suppressed');
  });

  it('withholds email when the stored preferences cannot be read', () => {
    const broken = { ...customer(), preferences: { version: 'x' } };
    expect(decideCustomer(night, broken).decision.outcome).toBe('no_consent');
  });

  it('checks topic and pause again right before sending', () => {
    const campaign = night.campaigns.get('offers-probe');
    expect(stillEligible(customer(), campaign, undefined, RUN_DATE)).toEqual({ ok: true });
    expect(
      stillEligible(customer({ topics: { offers: false } }), campaign, undefined, RUN_DATE),
    ).toMatchObject({
      ok: false,
      code: 'no_consent',
    });
    expect(stillEligible(customer({ pause: true }), campaign, undefined, RUN_DATE)).toMatchObject({
      ok: false,
      reason: 'emails paused until 2026-12-18',
    });
  });
});
