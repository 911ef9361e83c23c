import { describe, expect, it } from 'vitest';
import { campaignFigures } from '../../../../functions/domain/night/headlineFigures.js';
import type { CampaignSegmentSummary, RunSummary } from '../../../../functions/domain/night/summary.js';

const row = (
  campaignId: string,
  segmentId: string,
  n: Partial<CampaignSegmentSummary>,
): CampaignSegmentSummary => ({
  campaignId,
  segmentId,
  chosen: 0,
  send: 0,
  holdout: 0,
  globalControl: 0,
  suppressed: 0,
  sent: 0,
  skipped: 0,
  failed: 0,
  ambiguous: 0,
  ...n,
});

describe('per-campaign metric figures', () => {
  it('sums the segments of each campaign: sent, failed (with ambiguous), held out (with global control)', () => {
    const summary = {
      campaigns: [
        row('winback', 'lapsed', { sent: 10, failed: 1, holdout: 2 }),
        row('winback', 'vip', { sent: 5, ambiguous: 1, globalControl: 1 }),
        row('birthday', 'all', { sent: 3 }),
      ],
    } as unknown as RunSummary;
    expect(Object.fromEntries(campaignFigures(summary))).toEqual({
      winback: { Sent: 15, SendFailed: 2, HeldOut: 3 },
      birthday: { Sent: 3, SendFailed: 0, HeldOut: 0 },
    });
  });
});
