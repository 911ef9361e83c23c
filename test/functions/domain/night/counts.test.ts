import { describe, expect, it } from 'vitest';
import { countsOfNight, RECENCY_HISTOGRAM_DAYS } from '../../../../functions/domain/night/counts.js';
import { addDays } from '../../../../functions/domain/night/dates.js';
import type { CustomerNight } from '../../../../functions/domain/night/types.js';

const RUN = '2026-11-20';
const night = (signals: CustomerNight['signals'] = []): CustomerNight => ({
  runDate: RUN,
  lifeStage: 'at_risk',
  scores: null,
  signals,
  signalState: { runDate: RUN, lifeStage: 'at_risk', clvTier: null, pAlive: null, fired: [] },
  decision: { outcome: 'no_match' },
});

describe('night counters for goals and the stage flow', () => {
  it('counts a stage move from the stage_changed signal', () => {
    const keys = countsOfNight(night([{ type: 'stage_changed', from: 'active', to: 'at_risk' }]));
    expect(keys).toContain('move:active>at_risk');
    expect(countsOfNight(night()).some((k) => k.startsWith('move:'))).toBe(false);
  });

  it('counts days since the last order inside the histogram bound only', () => {
    const recency = (last?: string) => countsOfNight(night(), last).filter((k) => k.startsWith('recency:'));
    expect(recency(RUN)).toEqual(['recency:0']);
    expect(recency(addDays(RUN, -(RECENCY_HISTOGRAM_DAYS - 1)))).toEqual([
      `recency:${RECENCY_HISTOGRAM_DAYS - 1}`,
    ]);
    expect(recency(addDays(RUN, -RECENCY_HISTOGRAM_DAYS))).toEqual([]);
    expect(recency(addDays(RUN, 1))).toEqual([]);
    expect(recency(undefined)).toEqual([]);
  });
});
