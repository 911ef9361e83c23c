import { describe, expect, it } from 'vitest';
import {
  classifyLifeStage,
  clvTier,
  clvTierBreakpoints,
  DEFAULT_LIFE_STAGE_CONFIG,
  DEFAULT_SIGNAL_CONFIG,
  detectSignals,
  LifeStageConfigSchema,
  RF_SEGMENT_MAP,
  type RfmInput,
  rfmBreakpoints,
  rfmGroup,
  rfmScores,
  type SignalInput,
  type SignalState,
  SignalStateSchema,
} from '../../../../functions/domain/scoring/index.js';

describe('RFM', () => {
  const pop: RfmInput[] = Array.from({ length: 100 }, (_, i) => ({
    daysSinceLastOrder: i,
    frequency: i + 1,
    monetary: 10 * (i + 1),
  }));

  it('quintile breakpoints are JSON and score 1..5 with recency reversed', () => {
    const bp = rfmBreakpoints(pop);
    expect(JSON.parse(JSON.stringify(bp))).toEqual(bp);
    expect(bp.recency).toEqual([19.8, 39.6, 59.4, 79.2]);
    expect(rfmScores(bp, { daysSinceLastOrder: 0, frequency: 100, monetary: 1000 })).toEqual({
      r: 5,
      f: 5,
      m: 5,
      group: 'Champions',
    });
    expect(rfmScores(bp, { daysSinceLastOrder: 99, frequency: 1, monetary: 10 })).toEqual({
      r: 1,
      f: 1,
      m: 1,
      group: 'Lost',
    });
    const counts = [0, 0, 0, 0, 0];
    for (const p of pop) counts[rfmScores(bp, p).f - 1] = (counts[rfmScores(bp, p).f - 1] ?? 0) + 1;
    expect(counts).toEqual([20, 20, 20, 20, 20]);
  });

  it('maps every R/F cell to the documented group', () => {
    expect(Object.keys(RF_SEGMENT_MAP)).toHaveLength(25);
    expect(rfmGroup(5, 5)).toBe('Champions');
    expect(rfmGroup(4, 5)).toBe('Loyal');
    expect(rfmGroup(3, 4)).toBe('Loyal');
    expect(rfmGroup(5, 2)).toBe('Potential Loyalist');
    expect(rfmGroup(5, 1)).toBe('New');
    expect(rfmGroup(4, 1)).toBe('Promising');
    expect(rfmGroup(3, 3)).toBe('Need Attention');
    expect(rfmGroup(3, 1)).toBe('About To Sleep');
    expect(rfmGroup(2, 3)).toBe('At Risk');
    expect(rfmGroup(1, 4)).toBe('At Risk');
    expect(rfmGroup(1, 5)).toBe("Can't Lose Them");
    expect(rfmGroup(2, 2)).toBe('Hibernating');
    expect(rfmGroup(1, 2)).toBe('Lost');
    expect(new Set(Object.values(RF_SEGMENT_MAP)).size).toBe(11);
    expect(() => rfmGroup(0, 3)).toThrow();
  });
});

describe('CLV tiers', () => {
  it('splits 5 / 15 / 30 / 50 % by default and is configurable', () => {
    const clvs = Array.from({ length: 1000 }, (_, i) => i);
    const bp = clvTierBreakpoints(clvs);
    const n = { top: 0, high: 0, medium: 0, low: 0 };
    for (const c of clvs) n[clvTier(bp, c)]++;
    expect(n).toEqual({ top: 50, high: 150, medium: 300, low: 500 });
    const bp2 = clvTierBreakpoints(clvs, { top: 0.1, high: 0.1, medium: 0.1 });
    expect(clvs.filter((c) => clvTier(bp2, c) === 'top')).toHaveLength(100);
    expect(() => clvTierBreakpoints(clvs, { top: 0.5, high: 0.5, medium: 0.5 })).toThrow();
  });

  it('a mass of zeros stays low', () => {
    const bp = clvTierBreakpoints([0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
    expect(clvTier(bp, 0)).toBe('low');
    expect(clvTier(bp, 5)).toBe('top');
  });
});

describe('life stages', () => {
  const base = {
    purchaseDays: 4,
    daysSinceFirstOrder: 300,
    daysSinceLastOrder: 20,
    pAlive: 0.9,
    clvTier: 'medium' as const,
  };
  it('applies the documented rules', () => {
    expect(LifeStageConfigSchema.parse(DEFAULT_LIFE_STAGE_CONFIG)).toEqual(DEFAULT_LIFE_STAGE_CONFIG);
    expect(classifyLifeStage({ purchaseDays: 0 })).toBe('prospect');
    expect(
      classifyLifeStage({ purchaseDays: 1, daysSinceFirstOrder: 10, daysSinceLastOrder: 10, pAlive: 1 }),
    ).toBe('new');
    expect(
      classifyLifeStage({ purchaseDays: 1, daysSinceFirstOrder: 31, daysSinceLastOrder: 31, pAlive: 1 }),
    ).toBe('active');
    expect(classifyLifeStage(base)).toBe('active');
    expect(classifyLifeStage({ ...base, clvTier: 'top' })).toBe('vip');
    expect(classifyLifeStage({ ...base, clvTier: 'top', pAlive: 0.4 })).toBe('at_risk');
    expect(classifyLifeStage({ ...base, pAlive: 0.1 })).toBe('lapsed');
    expect(classifyLifeStage({ ...base, daysSinceFirstOrder: 800, daysSinceLastOrder: 400 })).toBe('lapsed');
    // Own rhythm: 4 purchase days over 280 days → mean gap 93 days; 3 × 93 < 300 → overdue.
    expect(classifyLifeStage({ ...base, daysSinceFirstOrder: 580, daysSinceLastOrder: 300 })).toBe('at_risk');
    expect(classifyLifeStage({ ...base, previousStage: 'lapsed', boughtSincePrevious: true })).toBe(
      'reactivated',
    );
    expect(
      classifyLifeStage({ ...base, previousStage: 'lapsed', boughtSincePrevious: false, pAlive: 0.1 }),
    ).toBe('lapsed');
    expect(classifyLifeStage({ ...base, previousStage: 'reactivated', daysSinceLastOrder: 20 })).toBe(
      'reactivated',
    );
    expect(classifyLifeStage({ ...base, previousStage: 'reactivated', daysSinceLastOrder: 31 })).toBe(
      'active',
    );
    expect(
      classifyLifeStage(
        { ...base, pAlive: 0.45 },
        { ...DEFAULT_LIFE_STAGE_CONFIG, atRiskPAlive: 0.4, lapsedPAlive: 0.1 },
      ),
    ).toBe('active');
    expect(() => LifeStageConfigSchema.parse({ ...DEFAULT_LIFE_STAGE_CONFIG, lapsedPAlive: 0.9 })).toThrow();
  });
});

describe('signals', () => {
  const cur = (over: Partial<SignalInput> = {}): SignalInput => ({
    lifeStage: 'active',
    clvTier: 'medium',
    pAlive: 0.8,
    signupDate: '2023-05-10',
    firstOrderDate: '2023-05-12',
    ...over,
  });
  /** Runs nightly over [from, to] (skipping `skip`), returns all signals with their run date. */
  function run(from: string, to: string, input: (date: string) => SignalInput, skip: string[] = []) {
    let state: SignalState | null = null;
    const all: { date: string; type: string; detail: unknown }[] = [];
    for (let d = Date.parse(from); d <= Date.parse(to); d += 86_400_000) {
      const date = new Date(d).toISOString().slice(0, 10);
      if (skip.includes(date)) continue;
      const r = detectSignals(state, input(date), date);
      for (const s of r.signals) all.push({ date, type: s.type, detail: s });
      state = SignalStateSchema.parse(JSON.parse(JSON.stringify(r.state)));
    }
    return all;
  }

  it('first night: no transitions, but life events in window fire', () => {
    const r = detectSignals(
      null,
      cur({ birthDate: '1990-06-03', firstOrderDate: '2023-01-12' }),
      '2024-06-01',
    );
    expect(r.signals).toEqual([{ type: 'birthday', inDays: 2, date: '2024-06-03' }]);
    expect(r.state).toMatchObject({
      lifeStage: 'active',
      clvTier: 'medium',
      pAlive: 0.8,
      fired: ['birthday:2024'],
    });
  });

  it('transitions fire once, on the night they happen', () => {
    const s = detectSignals(null, cur(), '2024-01-01').state;
    const r = detectSignals(s, cur({ lifeStage: 'at_risk', clvTier: 'high', pAlive: 0.15 }), '2024-01-02');
    expect(r.signals).toEqual([
      { type: 'stage_changed', from: 'active', to: 'at_risk' },
      { type: 'p_alive_below', threshold: 0.5 },
      { type: 'p_alive_below', threshold: 0.2 },
      { type: 'clv_tier_changed', from: 'medium', to: 'high', direction: 'up' },
    ]);
    const again = detectSignals(
      r.state,
      cur({ lifeStage: 'at_risk', clvTier: 'high', pAlive: 0.1 }),
      '2024-01-03',
    );
    expect(again.signals).toEqual([]);
    const down = detectSignals(
      again.state,
      cur({ lifeStage: 'at_risk', clvTier: 'low', pAlive: 0.6 }),
      '2024-01-04',
    );
    expect(down.signals).toEqual([{ type: 'clv_tier_changed', from: 'high', to: 'low', direction: 'down' }]);
  });

  it('birthday fires once per year, 7 days ahead, across the year boundary', () => {
    const all = run('2024-12-01', '2026-01-10', (_d) => cur({ birthDate: '1980-01-03' }));
    const b = all.filter((s) => s.type === 'birthday');
    expect(b).toEqual([
      { date: '2024-12-27', type: 'birthday', detail: { type: 'birthday', inDays: 7, date: '2025-01-03' } },
      { date: '2025-12-27', type: 'birthday', detail: { type: 'birthday', inDays: 7, date: '2026-01-03' } },
    ]);
  });

  it('a skipped night inside the window is caught up once', () => {
    const all = run('2025-05-20', '2025-06-10', () => cur({ birthDate: '1980-06-05' }), [
      '2025-05-29',
      '2025-05-30',
    ]);
    expect(all.filter((s) => s.type === 'birthday')).toEqual([
      { date: '2025-05-31', type: 'birthday', detail: { type: 'birthday', inDays: 5, date: '2025-06-05' } },
    ]);
  });

  it('Feb 29 birthdays are celebrated on Feb 28 in common years and Feb 29 in leap years', () => {
    const all = run('2026-02-01', '2028-03-05', () => cur({ birthDate: '2000-02-29' })).filter(
      (s) => s.type === 'birthday',
    );
    expect(all.map((s) => s.detail)).toEqual([
      { type: 'birthday', inDays: 7, date: '2026-02-28' },
      { type: 'birthday', inDays: 7, date: '2027-02-28' },
      { type: 'birthday', inDays: 7, date: '2028-02-29' },
    ]);
  });

  it('anniversaries and tenure milestones fire once each', () => {
    const all = run('2023-05-12', '2026-03-01', () => cur());
    const kinds = all.map((s) => `${s.date} ${s.type} ${JSON.stringify(s.detail)}`);
    expect(all.filter((s) => s.type === 'signup_anniversary').map((s) => s.date)).toEqual([
      '2024-05-03',
      '2025-05-03',
    ]);
    expect(all.filter((s) => s.type === 'first_order_anniversary').map((s) => s.detail)).toEqual([
      { type: 'first_order_anniversary', years: 1, inDays: 7, date: '2024-05-12' },
      { type: 'first_order_anniversary', years: 2, inDays: 7, date: '2025-05-12' },
    ]);
    expect(all.filter((s) => s.type === 'tenure_milestone').map((s) => [s.date, s.detail])).toEqual([
      ['2023-08-20', { type: 'tenure_milestone', days: 100 }],
      ['2024-05-11', { type: 'tenure_milestone', days: 365 }],
      ['2025-05-11', { type: 'tenure_milestone', days: 730 }],
      ['2026-02-05', { type: 'tenure_milestone', days: 1000 }],
    ]);
    expect(kinds.length).toBe(8);
  });

  it('an old customer seen for the first time does not get past milestones', () => {
    const r = detectSignals(
      null,
      cur({ firstOrderDate: '2015-01-01', signupDate: '2015-01-01' }),
      '2024-06-01',
    );
    expect(r.signals).toEqual([]);
    expect(DEFAULT_SIGNAL_CONFIG.tenureMilestones).toEqual([100, 365, 730, 1000]);
  });
});
