import { describe, expect, it } from 'vitest';
import {
  attributedDecision,
  attributionDelta,
  type DecisionRef,
  groupOfStatus,
  inAttributionWindow,
} from '../../../../functions/domain/measurement/attribution.js';

const decision = (runDate: string, over: Partial<DecisionRef> = {}): DecisionRef => ({
  sendKey: `${runDate}#win-back#c1`,
  runDate,
  campaignId: 'win-back',
  segmentId: 'all',
  group: 'treatment',
  ...over,
});

describe('the attribution window', () => {
  it('counts the run date itself and day 14, not day 15 nor the day before', () => {
    expect(inAttributionWindow('2026-11-01', '2026-11-01', 14)).toBe(true);
    expect(inAttributionWindow('2026-11-01', '2026-11-15', 14)).toBe(true);
    expect(inAttributionWindow('2026-11-01', '2026-11-16', 14)).toBe(false);
    expect(inAttributionWindow('2026-11-01', '2026-10-31', 14)).toBe(false);
  });

  it('crosses month and year ends by calendar days', () => {
    expect(inAttributionWindow('2026-12-25', '2027-01-08', 14)).toBe(true);
    expect(inAttributionWindow('2026-12-25', '2027-01-09', 14)).toBe(false);
  });
});

describe('which decision an order goes to', () => {
  it('goes to the latest decision on or before the order, not to an earlier one', () => {
    const early = decision('2026-11-01');
    const late = decision('2026-11-05', { sendKey: '2026-11-05#vip#c1', campaignId: 'vip' });
    expect(attributedDecision('2026-11-06', [early, late], 14)).toBe(late);
    expect(attributedDecision('2026-11-03', [early, late], 14)).toBe(early);
  });

  it('gives nothing for an order before every decision', () => {
    expect(attributedDecision('2026-10-30', [decision('2026-11-01')], 14)).toBeNull();
  });

  it("uses the decision's own window, and the default for a decision without one", () => {
    const short = decision('2026-11-01', { attributionDays: 3 });
    expect(attributedDecision('2026-11-04', [short], 14)).toBe(short);
    expect(attributedDecision('2026-11-05', [short], 14)).toBeNull();
    expect(attributedDecision('2026-11-15', [decision('2026-11-01')], 14)).not.toBeNull();
    expect(attributedDecision('2026-11-16', [decision('2026-11-01')], 14)).toBeNull();
  });

  it('does not fall back to an earlier decision when the latest one has closed its window', () => {
    const long = decision('2026-11-01', { attributionDays: 30 });
    const short = decision('2026-11-05', { sendKey: '2026-11-05#vip#c1', attributionDays: 2 });
    expect(attributedDecision('2026-11-10', [long, short], 14)).toBeNull();
  });

  it('treats every decision to send as treatment (intention to treat)', () => {
    expect(groupOfStatus('sent')).toBe('treatment');
    expect(groupOfStatus('skipped')).toBe('treatment');
    expect(groupOfStatus('failed')).toBe('treatment');
    expect(groupOfStatus('held_out')).toBe('holdout');
    expect(groupOfStatus('global_control')).toBe('global_control');
  });
});

describe('what an attributed order adds', () => {
  it('adds a converter only on the first order and keeps the sum of squared customer totals', () => {
    const first = attributionDelta({ orders: 0, revenue: 0 }, 30);
    const second = attributionDelta({ orders: 1, revenue: 30 }, 12.5);
    expect(first).toEqual({ converters: 1, orders: 1, revenue: 30, revenueSumSquares: 900 });
    expect(second.converters).toBe(0);
    // (30 + 12.5)² after both orders
    expect(first.revenueSumSquares + second.revenueSumSquares).toBeCloseTo(42.5 ** 2, 9);
  });
});
