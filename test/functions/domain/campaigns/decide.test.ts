import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecisionContext,
  decide,
  holdoutBucket,
  inGlobalControl,
  isHeldOut,
} from '../../../../functions/domain/campaigns/index.js';
import { campaignYaml, compiled, scores, subject } from './fixtures.js';

function campaign(
  id: string,
  fields: Record<string, string> = {},
  audience = '{ all: [] }',
  segmentExtra = '',
) {
  return compiled(
    campaignYaml(
      { id, ...fields },
      `  - id: seg
    audience: ${audience}
${segmentExtra}    offer: { subject: s, html: h, text: t }
`,
    ),
  );
}

const ctx = (overrides: Partial<DecisionContext> = {}): DecisionContext => ({
  history: { lastSentByCampaign: {} },
  globalCapDays: 7,
  globalControlPercent: 0,
  globalControlSalt: 'salt',
  suppressed: false,
  ...overrides,
});

describe('decide', () => {
  it('picks the highest priority, then the higher expected value, then campaign id', () => {
    const low = campaign('low', { priority: '10' });
    const high = campaign('high', { priority: '50' });
    const d = decide(subject(), [low, high], ctx());
    expect(d.outcome).toBe('send');
    expect(d.chosen).toEqual({
      campaignId: 'high',
      campaignVersion: high.campaign.version,
      segmentId: 'seg',
    });
    expect(d.losers).toEqual([{ campaignId: 'low', segmentId: 'seg', reason: 'lower_priority' }]);

    const weighted = campaign('b-weighted', {}, '{ all: [] }', '    valueWeight: 2\n');
    const plain = campaign('a-plain');
    const byValue = decide(subject(), [plain, weighted], ctx());
    expect(byValue.chosen?.campaignId).toBe('b-weighted');
    expect(byValue.losers[0]?.reason).toBe('lower_value');

    const tie = decide(subject(), [campaign('zeta'), campaign('alpha')], ctx());
    expect(tie.chosen?.campaignId).toBe('alpha');
    expect(tie.losers[0]).toEqual({ campaignId: 'zeta', segmentId: 'seg', reason: 'tie_break' });
  });

  it('ignores campaigns that are not live or do not match', () => {
    const paused = campaign('paused', { status: 'paused', priority: '99' });
    const vipOnly = campaign('vip-only', { priority: '98' }, '{ lifeStage: vip }');
    const open = campaign('open');
    expect(decide(subject(), [paused, vipOnly], ctx())).toEqual({ outcome: 'no_match', losers: [] });
    expect(decide(subject(), [paused, vipOnly, open], ctx()).chosen?.campaignId).toBe('open');
  });

  it('applies the per-campaign frequency cap, falling back to the next campaign', () => {
    const a = campaign('a', { priority: '20', frequencyCapDays: '30' });
    const b = campaign('b', { priority: '10' });
    const history = { lastSentByCampaign: { a: '2025-05-10' } };
    const d = decide(subject(), [a, b], ctx({ history, globalCapDays: 0 }));
    expect(d.chosen?.campaignId).toBe('b');
    expect(d.losers).toEqual([{ campaignId: 'a', segmentId: 'seg', reason: 'frequency_cap' }]);
    // 30 days later the cap has expired.
    const later = decide(subject({ runDate: '2025-06-09' }), [a, b], ctx({ history, globalCapDays: 0 }));
    expect(later.chosen?.campaignId).toBe('a');
  });

  it('applies the global cap to every campaign', () => {
    const d = decide(
      subject(),
      [campaign('a'), campaign('b')],
      ctx({
        history: { lastSentByCampaign: {}, lastRetentionEmailAt: '2025-05-28' },
        globalCapDays: 7,
      }),
    );
    expect(d.outcome).toBe('capped');
    expect(d.chosen).toBeUndefined();
    expect(d.losers.map((l) => l.reason)).toEqual(['global_cap', 'global_cap']);
    const after = decide(
      subject(),
      [campaign('a')],
      ctx({
        history: { lastSentByCampaign: {}, lastRetentionEmailAt: '2025-05-25' },
      }),
    );
    expect(after.outcome).toBe('send');
  });

  it('checks email consent, topic consent and suppression before choosing', () => {
    const topic = campaign('bday', { priority: '90', consentTopic: 'birthday' });
    const other = campaign('other', { priority: '10' });
    const noTopic = subject();
    noTopic.profile.consent = { email: true, topics: { offers: true } };
    const d = decide(noTopic, [topic, other], ctx());
    expect(d.chosen?.campaignId).toBe('other');
    expect(d.losers).toEqual([{ campaignId: 'bday', segmentId: 'seg', reason: 'no_consent' }]);
    expect(decide(noTopic, [topic], ctx()).outcome).toBe('no_consent');

    const noEmail = subject();
    noEmail.profile.consent = { email: false, topics: { birthday: true } };
    expect(decide(noEmail, [topic, other], ctx()).outcome).toBe('no_consent');

    const s = decide(subject(), [topic, other], ctx({ suppressed: true }));
    expect(s.outcome).toBe('suppressed');
    expect(s.chosen).toBeUndefined();
    expect(s.losers.map((l) => l.reason)).toEqual(['suppressed', 'suppressed']);
  });

  it('holds out deterministically and records the chosen campaign', () => {
    const c = campaign('held', { holdoutPercent: '50' });
    let holdouts = 0;
    for (let i = 0; i < 400; i++) {
      const s = subject();
      s.profile.customerId = `cust-${i}`;
      const d = decide(s, [c], ctx());
      expect(d.chosen?.campaignId).toBe('held');
      expect(d.outcome).toBe(isHeldOut('held', `cust-${i}`, 50) ? 'holdout' : 'send');
      if (d.outcome === 'holdout') holdouts++;
    }
    expect(holdouts).toBeGreaterThan(150);
    expect(holdouts).toBeLessThan(250);
  });

  it('never sends to the global control group', () => {
    const c = campaign('any');
    let control = 0;
    for (let i = 0; i < 1000; i++) {
      const s = subject({ scores: scores() });
      s.profile.customerId = `c${i}`;
      const d = decide(s, [c], ctx({ globalControlPercent: 5, globalControlSalt: '2025' }));
      if (inGlobalControl(`c${i}`, 5, '2025')) {
        control++;
        expect(d.outcome).toBe('global_control');
        expect(d.chosen?.campaignId).toBe('any');
      } else expect(d.outcome).toBe('send');
    }
    expect(control).toBeGreaterThan(20);
    expect(control).toBeLessThan(85);
  });
});

describe('holdout hashing', () => {
  it('is stable: the same customer always lands in the same group', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.integer({ min: 0, max: 50 }),
        (campaignId, customerId, pct) => {
          const first = isHeldOut(campaignId, customerId, pct);
          expect(isHeldOut(campaignId, customerId, pct)).toBe(first);
          const bucket = holdoutBucket(campaignId, customerId);
          expect(bucket).toBeGreaterThanOrEqual(0);
          expect(bucket).toBeLessThan(10_000);
          expect(first).toBe(bucket < pct * 100);
        },
      ),
    );
  });

  it('a larger holdout contains the smaller one (raising the percentage never moves people back)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 49 }), (customerId, pct) => {
        if (isHeldOut('c', customerId, pct)) expect(isHeldOut('c', customerId, pct + 1)).toBe(true);
      }),
    );
  });

  it('holds out 10 % ± 0.5 pp over 100k customers, independently per campaign and salt', () => {
    const n = 100_000;
    let a = 0;
    let both = 0;
    let salted = 0;
    for (let i = 0; i < n; i++) {
      const id = `customer-${i}`;
      const inA = isHeldOut('at-risk-save', id, 10);
      if (inA) a++;
      if (inA && isHeldOut('win-back', id, 10)) both++;
      if (isHeldOut('at-risk-save', id, 10, 'v2')) salted++;
    }
    expect(Math.abs(a / n - 0.1)).toBeLessThan(0.005);
    expect(Math.abs(salted / n - 0.1)).toBeLessThan(0.005);
    // Independent campaigns: overlap ≈ 1 %.
    expect(Math.abs(both / n - 0.01)).toBeLessThan(0.002);
  });
});
