import { describe, expect, it } from 'vitest';
import { formatReport } from '../../../../cli/report/reportText.js';
import {
  type ArmTotals,
  buildReport,
  type CompareArms,
  engagementOf,
  type StoredNight,
} from '../../../../functions/domain/measurement/buildReport.js';
import { compareArms } from '../../../../functions/domain/measurement/compareArms.js';
import type { GroupFigures } from '../../../../functions/domain/measurement/reportContract.js';

// The statistics are compareArms' job; here a recorder shows which sums reach it.
const figures = (a: ArmTotals): GroupFigures => ({
  customers: a.customers,
  converters: a.converters,
  conversionRate: a.customers === 0 ? 0 : a.converters / a.customers,
  orders: a.orders,
  revenue: a.revenue,
  revenuePerCustomer: a.customers === 0 ? 0 : a.revenue / a.customers,
});
function recorder() {
  const calls: [ArmTotals, ArmTotals][] = [];
  const compare: CompareArms = (t, c) => {
    calls.push([{ ...t }, { ...c }]);
    return {
      treatment: figures(t),
      holdout: figures(c),
      uplift: null,
      incrementalConversions: null,
      incrementalRevenue: null,
      verdict: 'insufficient_data',
      neededPerGroup: null,
    };
  };
  return { calls, compare };
}

const night = (runDate: string, over: Partial<StoredNight> = {}): StoredNight => ({
  runDate,
  groups: [
    { campaignId: 'win-back', segmentId: 'hv', treatment: 90, holdout: 10, globalControl: 5, sent: 88 },
    { campaignId: 'win-back', segmentId: 'rest', treatment: 180, holdout: 20, globalControl: 0, sent: 170 },
    { campaignId: 'vip', segmentId: 'all', treatment: 40, holdout: 0, globalControl: 2, sent: 40 },
  ],
  sums: [
    {
      runDate,
      campaignId: 'win-back',
      segmentId: 'hv',
      group: 'treatment',
      attributionDays: 21,
      converters: 9,
      orders: 12,
      revenue: 600,
      revenueSumSquares: 50_000,
    },
    {
      runDate,
      campaignId: 'win-back',
      segmentId: 'hv',
      group: 'holdout',
      attributionDays: 21,
      converters: 1,
      orders: 1,
      revenue: 40,
      revenueSumSquares: 1_600,
    },
    {
      runDate,
      campaignId: 'win-back',
      segmentId: 'hv',
      group: 'global_control',
      attributionDays: 21,
      converters: 1,
      orders: 2,
      revenue: 30,
      revenueSumSquares: 900,
    },
    {
      runDate,
      campaignId: 'vip',
      segmentId: 'all',
      group: 'treatment',
      converters: 4,
      orders: 4,
      revenue: 400,
      revenueSumSquares: 40_000,
    },
  ],
  events: {
    'win-back': {
      open: 100,
      click: 12,
      bounce_permanent: 2,
      bounce_transient: 1,
      complaint: 1,
      subscription: 3,
    },
  },
  figures: { runDate, stages: { active: 10, at_risk: 5 }, moves: { 'active>at_risk': 1 } },
  modelCheck: null,
  ...over,
});

describe('the report assembled from the nights’ stored figures', () => {
  it('compares per campaign, segment and night, and the program against the global control', () => {
    const { calls, compare } = recorder();
    const report = buildReport(
      {
        from: '2026-11-01',
        to: '2026-11-02',
        attributionDays: 14,
        nights: [night('2026-11-01'), night('2026-11-02'), night('2026-11-03')],
      },
      compare,
    );
    expect(report.window).toEqual({ from: '2026-11-01', to: '2026-11-02', attributionDays: 14 });
    expect(report.campaigns.map((c) => c.campaignId)).toEqual(['vip', 'win-back']);
    const winBack = report.campaigns[1]!;
    expect(winBack.attributionDays).toBe(21);
    expect(winBack.treatment).toMatchObject({ customers: 540, converters: 18, orders: 24, revenue: 1200 });
    expect(winBack.holdout).toMatchObject({ customers: 60, converters: 2, revenue: 80 });
    expect(winBack.segments.map((s) => [s.segmentId, s.treatment.customers, s.holdout.customers])).toEqual([
      ['hv', 180, 20],
      ['rest', 360, 40],
    ]);
    expect(winBack.nights.map((n) => [n.runDate, n.treatment.customers, n.treatment.converters])).toEqual([
      ['2026-11-01', 270, 9],
      ['2026-11-02', 270, 9],
    ]);
    expect(winBack.engagement).toEqual({
      sent: 516,
      opened: 200,
      clicked: 24,
      bounced: 6,
      complained: 2,
      unsubscribed: 6,
    });
    // Events are kept per campaign: a segment shows its sent count only.
    expect(winBack.segments[0]!.engagement).toEqual({
      sent: 176,
      opened: 0,
      clicked: 0,
      bounced: 0,
      complained: 0,
      unsubscribed: 0,
    });
    expect(report.campaigns[0]!.attributionDays).toBe(14);
    // Program: all treatment against the global control group (win-back hv 5 + vip 2 per night).
    expect(report.program.treatment).toMatchObject({ customers: 620, converters: 26, revenue: 2000 });
    expect(report.program.holdout).toMatchObject({ customers: 14, converters: 2, orders: 4, revenue: 60 });
    const programCall = calls[calls.length - 1]!;
    expect(programCall[0].revenueSumSquares).toBe(2 * (50_000 + 40_000));
    expect(programCall[1].revenueSumSquares).toBe(1_800);
    expect(report.stageFlow).not.toBeNull();
    expect(report.goal).toBeNull();
    expect(report.model).toBeNull();
  });

  it('reports one campaign with --campaign, and a 0 % holdout as an empty control arm', () => {
    const { compare } = recorder();
    const report = buildReport(
      {
        from: '2026-11-01',
        to: '2026-11-01',
        attributionDays: 14,
        nights: [night('2026-11-01')],
        campaignId: 'vip',
      },
      compare,
    );
    expect(report.campaigns.map((c) => c.campaignId)).toEqual(['vip']);
    expect(report.campaigns[0]!.holdout).toMatchObject({ customers: 0, converters: 0, conversionRate: 0 });
    expect(report.program.treatment.customers).toBe(40);
  });

  it('gives zero orders, not missing rows, for a night without any attributed order', () => {
    const { compare } = recorder();
    const report = buildReport(
      {
        from: '2026-11-01',
        to: '2026-11-01',
        attributionDays: 14,
        nights: [night('2026-11-01', { sums: [], events: {} })],
      },
      compare,
    );
    expect(report.campaigns[1]!.treatment).toMatchObject({
      customers: 270,
      converters: 0,
      orders: 0,
      revenue: 0,
    });
    expect(report.campaigns[1]!.engagement.opened).toBe(0);
  });

  it('has no campaigns and an empty program when no night is in the window', () => {
    const { compare } = recorder();
    const report = buildReport(
      { from: '2026-12-01', to: '2026-12-02', attributionDays: 14, nights: [night('2026-11-01')] },
      compare,
    );
    expect(report.campaigns).toEqual([]);
    expect(report.program.treatment.customers).toBe(0);
    expect(report.stageFlow).toBeNull();
  });

  it('reads engagement from the SES event counters', () => {
    expect(engagementOf(5, { open: 2, bounce_undetermined: 1, delivery: 5 })).toEqual({
      sent: 5,
      opened: 2,
      clicked: 0,
      bounced: 1,
      complained: 0,
      unsubscribed: 0,
    });
  });
});

describe('edge cases through the real statistics', () => {
  const arms = (treatment: number, holdout: number, sums: StoredNight['sums'] = []): StoredNight => ({
    runDate: '2026-11-01',
    groups: [{ campaignId: 'c', segmentId: 's', treatment, holdout, globalControl: 0, sent: treatment }],
    sums,
    events: {},
    figures: { runDate: '2026-11-01', stages: {} },
  });
  const report = (night: StoredNight) =>
    buildReport({ from: '2026-11-01', to: '2026-11-01', attributionDays: 14, nights: [night] }, compareArms);

  it('a 0 % holdout cannot be measured: insufficient data, no uplift', () => {
    const c = report(
      arms(500, 0, [
        {
          runDate: '2026-11-01',
          campaignId: 'c',
          segmentId: 's',
          group: 'treatment',
          converters: 20,
          orders: 22,
          revenue: 900,
          revenueSumSquares: 50_000,
        },
      ]),
    ).campaigns[0]!;
    expect(c.holdout.customers).toBe(0);
    expect(c.verdict).toBe('insufficient_data');
  });

  it('tiny groups are insufficient data, with the size a test would need', () => {
    const c = report(
      arms(12, 3, [
        {
          runDate: '2026-11-01',
          campaignId: 'c',
          segmentId: 's',
          group: 'treatment',
          converters: 2,
          orders: 2,
          revenue: 60,
          revenueSumSquares: 1_800,
        },
      ]),
    ).campaigns[0]!;
    expect(c.verdict).toBe('insufficient_data');
    expect(c.neededPerGroup).toBeGreaterThan(12);
  });

  it('no orders at all: zero rates in both arms, and nothing to conclude yet', () => {
    const r = report(arms(2_000, 2_000));
    const c = r.campaigns[0]!;
    expect(c.treatment.conversionRate).toBe(0);
    expect(c.holdout.conversionRate).toBe(0);
    // compareArms' rule: without a single conversion in either arm there is nothing to test yet.
    expect(c.verdict).toBe('insufficient_data');
    expect(formatReport(r)).toContain('Campaign c (attribution 14 days)');
  });
});
