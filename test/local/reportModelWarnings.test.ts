// The night's printed summary carries the fit's warnings (issue 13: warn the marketer before the tiers are trusted).
import { describe, expect, it } from 'vitest';
import { formatSummary, type RunReport } from '../../cli/local/report.js';
import { SMALL_SHOP_RUN_DATE, smallShopOrders } from '../../cli/seed/smallShop.js';
import { emptyWorkCounts } from '../../functions/adapters/workCounters.js';
import { aggregateOrders } from '../../functions/domain/ingest/aggregates.js';
import { buildRunPlan } from '../../functions/domain/night/plan.js';

describe('formatSummary', () => {
  it('prints the constant-dropout fallback and every model warning of the small shop', () => {
    const byCustomer = new Map<string, { orderId: string; date: string; amount: number }[]>();
    for (const o of smallShopOrders())
      byCustomer.set(o.customerId, [...(byCustomer.get(o.customerId) ?? []), o]);
    const plan = buildRunPlan({
      runDate: SMALL_SHOP_RUN_DATE,
      population: [...byCustomer.values()].map((orders) => aggregateOrders(orders, 'EUR')),
      sampledFraction: 1,
      campaigns: [],
      settings: {
        horizonDays: 365,
        clvMonths: 12,
        monthlyDiscount: 0.01,
        globalCapDays: 7,
        globalControlPercent: 0,
        holdoutSalt: 's',
      },
    });
    const report: RunReport = {
      runDate: plan.runDate,
      customers: 150,
      scored: 150,
      unscorable: 0,
      models: plan.models,
      population: plan.population,
      stages: {},
      signals: {},
      outcomes: {},
      campaigns: [],
      losers: {},
      moves: {},
      recency: {},
      send: {},
      work: {
        scoreInvocations: 1,
        sendInvocations: 0,
        segments: 1,
        incompleteSegments: 0,
        customersWritten: 0,
        customersUnchanged: 0,
        customersAlreadyDone: 0,
        customersRaced: 0,
        ...emptyWorkCounts(),
        stepFunctions: { stateTransitions: 0, topLevelTransitions: 0, mapIterations: 0 },
      },
      timings: { runMs: 1, phasesMs: {}, statesMs: {} },
      outbox: { dir: '/tmp', written: 0 },
    };
    const text = formatSummary(report);
    expect(text).toMatch(/constant-dropout limit \(a, b → ∞\): dropout probability 0\.\d{3}/);
    for (const w of plan.models?.fit?.warnings ?? []) expect(text).toContain(`Model warning: ${w}`);
    expect(plan.models?.fit?.warnings.length).toBeGreaterThanOrEqual(3);
  });
});
