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
import type { CustomerProfile } from '../../../../functions/domain/types.js';

const RUN_DATE = '2026-11-20';
const CAMPAIGN = `id: stage-probe
name: Stage probe
owner: test@example.com
status: active
schedule: { start: 2025-01-01 }
priority: 10
holdoutPercent: 0
frequencyCapDays: 30
segments:
  - id: prospects
    audience: { lifeStage: prospect }
    offer: { subject: Hello, html: "<p>Hi</p>", text: Hi }
  - id: everyone-else
    audience: { orderCount: { gte: 1 } }
    offer: { subject: Hello again, html: "<p>Hi</p>", text: Hi }
`;

function population(n: number) {
  return Array.from({ length: n }, (_, i) => syntheticCustomer(i, { customers: n, seed: 3, asOf: RUN_DATE }));
}

const people = population(400);
const plan = buildRunPlan({
  runDate: RUN_DATE,
  population: people.map((p) => aggregateOrders(p.orders, 'EUR')),
  sampledFraction: 1,
  campaigns: [{ campaignId: 'stage-probe', version: 1 }],
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
  { campaignId: 'stage-probe', version: 1, fileName: 'probe.yaml', source: CAMPAIGN, templates: {} },
]);

function input(profile: CustomerProfile, orders: { orderId: string; date: string; amount: number }[]) {
  return {
    customerId: profile.customerId,
    profile: { ...profile, email: 'x@example.com', consent: { email: true, topics: {} } },
    aggregates: aggregateOrders(orders, 'EUR'),
    contact: { lastByCampaign: {} },
  };
}

describe('one customer, one night (pure)', () => {
  it('fits the models on the population and loads the campaign', () => {
    expect(night.problems).toEqual([]);
    expect(plan.models?.bgnbd.r).toBeGreaterThan(0);
    expect(plan.rfm).not.toBeNull();
    expect(plan.clvTiers).not.toBeNull();
  });

  it('targets a prospect by life stage although a customer without orders has no scores', () => {
    const prospect = people.find((p) => p.orders.length === 0)!;
    const decided = decideCustomer(night, input(prospect.profile, []));
    expect(decided.night.scores).toBeNull();
    expect(decided.night.lifeStage).toBe('prospect');
    expect(decided.decision).toMatchObject({
      outcome: 'send',
      chosen: { campaignId: 'stage-probe', segmentId: 'prospects', campaignVersion: 1 },
    });
  });

  it('scores a buyer with finite numbers and falls through to the next segment', () => {
    const buyer = people.find((p) => p.orders.length >= 3)!;
    const decided = decideCustomer(night, input(buyer.profile, buyer.orders));
    const s = decided.night.scores!;
    for (const v of [s.pAlive, s.expectedPurchases, s.expectedAvgValue, s.clv])
      expect(Number.isFinite(v)).toBe(true);
    expect(s.pAlive).toBeGreaterThanOrEqual(0);
    expect(s.pAlive).toBeLessThanOrEqual(1);
    expect(decided.decision.chosen?.segmentId).toBe('everyone-else');
  });

  it('reports, instead of scoring, a customer whose orders are dated after the night', () => {
    const buyer = people.find((p) => p.orders.length >= 1)!;
    const decided = decideCustomer(
      night,
      input(buyer.profile, [{ orderId: 'late', date: '2026-12-01', amount: 10 }]),
    );
    expect(decided.night.scores).toBeNull();
    expect(decided.night.scoreProblem).toMatch(/after the run date/);
  });

  it('fires a stage transition once: the next night with the stored state sees no new change', () => {
    const buyer = people.find((p) => p.orders.length >= 2)!;
    const first = decideCustomer(night, input(buyer.profile, buyer.orders));
    const second = decideCustomer(night, {
      ...input(buyer.profile, buyer.orders),
      night: { signalState: first.night.signalState },
    });
    expect(second.night.signals.filter((s) => s.type === 'stage_changed')).toEqual([]);
  });

  it('turns a would-be send into suppressed, and re-checks consent and suppression before sending', () => {
    const prospect = people.find((p) => p.orders.length === 0)!;
    const decided = decideCustomer(night, input(prospect.profile, []));
    const suppressed = withSuppression(night, decided, 'unsubscribed');
    expect(suppressed.decision.outcome).toBe('suppressed');
    expect(suppressed.night.decision.suppression).toBe('unsubscribed');
    const loaded = night.campaigns.get('stage-probe');
    const profile = input(prospect.profile, []).profile;
    expect(stillEligible({ profile }, loaded, undefined)).toEqual({ ok: true });
    expect(stillEligible({ profile }, loaded, 'complaint')).toMatchObject({ ok: false, code: 'suppressed' });
    expect(
      stillEligible({ profile: { ...profile, consent: { email: false, topics: {} } } }, loaded, undefined),
    ).toMatchObject({
      ok: false,
      code: 'no_consent',
    });
    expect(stillEligible(undefined, loaded, undefined)).toMatchObject({ ok: false, code: 'missing' });
  });
});
