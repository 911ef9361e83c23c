import { describe, expect, it } from 'vitest';
import { nightWriteReason, SCORE_TOLERANCE } from '../../../../functions/domain/night/nightWrite.js';
import type { CustomerNight } from '../../../../functions/domain/night/types.js';

function night(runDate: string, change: (n: CustomerNight) => void = () => undefined): CustomerNight {
  const n: CustomerNight = {
    runDate,
    lifeStage: 'active',
    scores: {
      summary: { frequency: 3, recency: 100, T: 200, monetaryValue: 40 },
      pAlive: 0.8,
      expectedPurchases: 1.5,
      expectedAvgValue: 42,
      clv: 120,
      clvTier: 'medium',
      rfm: { r: 3, f: 3, m: 3, group: 'Loyal' },
      lifeStage: 'active',
    },
    signals: [],
    signalState: { runDate, lifeStage: 'active', clvTier: 'medium', pAlive: 0.8, fired: ['tenure:100'] },
    decision: { outcome: 'no_match', losers: [] },
  };
  change(n);
  return n;
}

describe('nightWriteReason', () => {
  const stored = night('2026-11-20');

  it('skips a night that changed nothing that matters, even with a new run date and a day older summary', () => {
    const tonight = night('2026-11-21', (n) => {
      if (n.scores) {
        n.scores.summary.T = 201;
        n.scores.pAlive = 0.8 - SCORE_TOLERANCE.pAlive / 2;
        n.scores.clv = 120 * (1 - SCORE_TOLERANCE.relative / 2);
      }
    });
    expect(nightWriteReason(stored, tonight, false)).toBeNull();
  });

  it('writes a move into or out of the customer standing (paused, no consent, suppressed), not a cooldown', () => {
    const paused = night('2026-11-21', (n) => {
      n.decision = { outcome: 'paused', losers: [] };
    });
    expect(nightWriteReason(stored, paused, false)).toBe('decision');
    const otherLosers = night('2026-11-21', (n) => {
      n.decision = { outcome: 'no_match', losers: [{ campaignId: 'win-back', reason: 'no_consent' }] };
    });
    expect(nightWriteReason(stored, otherLosers, false)).toBeNull();
    const sent = night('2026-11-20', (n) => {
      n.decision = { outcome: 'send', campaignId: 'win-back', segmentId: 'default', losers: [] };
    });
    const capped = night('2026-11-21', (n) => {
      n.decision = { outcome: 'capped', losers: [{ campaignId: 'win-back', reason: 'frequency_cap' }] };
    });
    expect(nightWriteReason(sent, capped, false)).toBeNull();
    expect(nightWriteReason(paused, night('2026-11-22'), false)).toBe('decision');
  });

  it('writes the first night, a contact, a signal, a stage, a tier and an RFM group change', () => {
    const tonight = night('2026-11-21');
    expect(nightWriteReason(undefined, tonight, false)).toBe('first_night');
    expect(nightWriteReason(stored, tonight, true)).toBe('contact');
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          n.signals = [{ type: 'tenure_milestone', days: 365 }];
        }),
        false,
      ),
    ).toBe('signal');
    // A fired life event must be remembered even without a signal tonight, or it fires again.
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          n.signalState.fired = ['birthday:2026', 'tenure:100'];
        }),
        false,
      ),
    ).toBe('signal');
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          n.lifeStage = 'at_risk';
        }),
        false,
      ),
    ).toBe('stage');
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          n.signalState.clvTier = 'high';
        }),
        false,
      ),
    ).toBe('tier');
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          if (n.scores) n.scores.rfm.group = 'At Risk';
        }),
        false,
      ),
    ).toBe('rfm_group');
  });

  it('writes a score that moved beyond the tolerance, and a customer that became (un)scorable', () => {
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          if (n.scores) n.scores.pAlive = 0.8 - SCORE_TOLERANCE.pAlive * 1.5;
        }),
        false,
      ),
    ).toBe('score_drift');
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          if (n.scores) n.scores.expectedPurchases = 1.5 * (1 + SCORE_TOLERANCE.relative * 1.5);
        }),
        false,
      ),
    ).toBe('score_drift');
    expect(
      nightWriteReason(
        stored,
        night('2026-11-21', (n) => {
          n.scores = null;
          n.scoreProblem = 'no fitted model tonight';
        }),
        false,
      ),
    ).toBe('scored_state');
  });
});
