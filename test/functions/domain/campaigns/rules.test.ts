import { describe, expect, it } from 'vitest';
import {
  type AudienceRule,
  type AudienceSubject,
  evaluateRule,
  isLive,
  matchSegment,
} from '../../../../functions/domain/campaigns/index.js';
import { compiled, mustValidate, scores, subject } from './fixtures.js';

const ev = (rule: AudienceRule, s: AudienceSubject = subject()) => evaluateRule(rule, s);

describe('audience rules: every operator', () => {
  // Subject: country DE, orderCount 4, lastOrderDate 2025-03-01 (92 days before run date 2025-06-01),
  // clv 300, clvTier high, lifeStage active, attributes { tier: gold, visits: 12, newsletter: true }.
  it.each<[string, AudienceRule, boolean]>([
    ['eq', { country: { eq: 'DE' } }, true],
    ['eq shorthand', { country: 'FR' }, false],
    ['ne', { country: { ne: 'FR' } }, true],
    ['ne on a date', { birthDate: { ne: '2000-01-01' } }, true],
    ['lt', { orderCount: { lt: 4 } }, false],
    ['lte', { orderCount: { lte: 4 } }, true],
    ['gt', { clv: { gt: 299.5 } }, true],
    ['gte', { clv: { gte: 300.01 } }, false],
    ['between inclusive', { orderCount: { between: [4, 10] } }, true],
    ['between outside', { orderCount: { between: [5, 10] } }, false],
    ['in', { country: { in: ['AT', 'DE'] } }, true],
    ['in shorthand', { lifeStage: ['vip', 'at_risk'] }, false],
    ['not_in', { country: { not_in: ['AT', 'CH'] } }, true],
    ['contains', { language: { contains: 'DE' } }, true],
    ['contains misses', { timeZone: { contains: 'Paris' } }, false],
    ['exists true', { birthDate: { exists: true } }, true],
    ['exists false', { 'attributes.missing': { exists: false } }, true],
    ['date lt', { lastOrderDate: { lt: '2025-03-02' } }, true],
    ['date between', { signupDate: { between: ['2024-01-01', '2024-01-10'] } }, true],
    ['more_than_days_ago', { lastOrderDate: { more_than_days_ago: 91 } }, true],
    ['more_than_days_ago boundary', { lastOrderDate: { more_than_days_ago: 92 } }, false],
    ['within_last_days', { lastOrderDate: { within_last_days: 92 } }, true],
    ['within_last_days too short', { lastOrderDate: { within_last_days: 30 } }, false],
    ['daysSinceLastOrder', { daysSinceLastOrder: 92 }, true],
    ['daysSinceFirstOrder', { daysSinceFirstOrder: { gt: 365 } }, true],
    ['daysSinceSignup', { daysSinceSignup: { gte: 508 } }, true],
    ['averageOrderValue', { averageOrderValue: 105 }, true],
    ['ordered enum gte', { clvTier: { gte: 'high' } }, true],
    ['ordered enum lt', { clvTier: { lt: 'high' } }, false],
    ['ordered enum between', { clvTier: { between: ['low', 'medium'] } }, false],
    ['rfm.group', { 'rfm.group': 'Loyal' }, true],
    ['rfm.r', { 'rfm.r': { gte: 4 } }, true],
    ['previousLifeStage', { previousLifeStage: 'active' }, true],
    ['attribute eq', { 'attributes.tier': 'gold' }, true],
    ['attribute gt', { 'attributes.visits': { gt: 10 } }, true],
    ['attribute bool', { 'attributes.newsletter': true }, true],
    ['attribute lt on text is false', { 'attributes.tier': { lt: 5 } }, false],
    ['multiple operators are ANDed', { orderCount: { gt: 1, lt: 4 } }, false],
    ['all', { all: [{ country: 'DE' }, { orderCount: { gte: 1 } }] }, true],
    ['empty all matches everyone', { all: [] }, true],
    ['any', { any: [{ country: 'FR' }, { lifeStage: 'active' }] }, true],
    ['empty any matches no one', { any: [] }, false],
    ['not', { not: { country: 'DE' } }, false],
  ])('%s', (_name, rule, expected) => {
    expect(ev(rule)).toBe(expected);
  });

  it('score fields have no value when the customer is not scored', () => {
    const unscored = subject({ scores: null });
    expect(ev({ clv: { gte: 0 } }, unscored)).toBe(false);
    expect(ev({ clv: { ne: 5 } }, unscored)).toBe(false);
    expect(ev({ lifeStage: { exists: false } }, unscored)).toBe(true);
    expect(ev({ not: { lifeStage: 'vip' } }, unscored)).toBe(true);
  });

  it('signals with filters', () => {
    const s = subject({
      signals: [
        { type: 'stage_changed', from: 'active', to: 'at_risk' },
        { type: 'birthday', inDays: 5, date: '2025-06-06' },
        { type: 'signup_anniversary', years: 1, inDays: 0, date: '2025-06-01' },
        { type: 'first_order_anniversary', years: 2, inDays: 3, date: '2025-06-04' },
        { type: 'tenure_milestone', days: 365 },
        { type: 'p_alive_below', threshold: 0.3 },
        { type: 'clv_tier_changed', from: 'medium', to: 'high', direction: 'up' },
      ],
    });
    expect(ev({ 'signal.stage_changed': { from: ['active', 'vip'], to: 'at_risk' } }, s)).toBe(true);
    expect(ev({ 'signal.stage_changed': { to: 'lapsed' } }, s)).toBe(false);
    expect(ev({ 'signal.birthday': { within_days: 7 } }, s)).toBe(true);
    expect(ev({ 'signal.birthday': { within_days: 3 } }, s)).toBe(false);
    expect(ev({ 'signal.signup_anniversary': { years: [1, 5] } }, s)).toBe(true);
    expect(ev({ 'signal.first_order_anniversary': { years: 2, within_days: 2 } }, s)).toBe(false);
    expect(ev({ 'signal.tenure_milestone': { days: 365 } }, s)).toBe(true);
    expect(ev({ 'signal.p_alive_below': { threshold: 0.5 } }, s)).toBe(false);
    expect(ev({ 'signal.p_alive_below': true }, s)).toBe(true);
    expect(ev({ 'signal.clv_tier_changed': { direction: 'down' } }, s)).toBe(false);
    expect(ev({ 'signal.clv_tier_changed': { to: ['high', 'top'], direction: 'up' } }, s)).toBe(true);
    expect(ev({ 'signal.birthday': {} }, subject())).toBe(false);
  });

  it('throws on a rule that does not validate', () => {
    expect(() => ev({ clv12m: 1 })).toThrow(/unknown field "clv12m"/);
  });
});

const twoSegments = `id: c
name: C
owner: o
status: active
priority: 1
holdoutPercent: 0
frequencyCapDays: 0
schedule:
  start: 2025-05-01
  end: 2025-06-30
  daysOfWeek: [sun, mon]
segments:
  - id: vip
    audience: { lifeStage: vip }
    offer: { subject: a, html: a, text: a }
  - id: high
    audience: { clvTier: [high, top] }
    offer: { subject: b, html: b, text: b }
`;

describe('campaign matching and schedule', () => {
  it('matchSegment returns the first matching segment', () => {
    const c = compiled(twoSegments);
    expect(matchSegment(c, subject({ scores: scores({ lifeStage: 'vip', clvTier: 'top' }) }))?.id).toBe(
      'vip',
    );
    expect(matchSegment(c, subject())?.id).toBe('high');
    expect(matchSegment(c, subject({ scores: scores({ clvTier: 'low' }) }))).toBeNull();
  });

  it('isLive checks status, start/end inclusive and days of week (UTC)', () => {
    const c = mustValidate(twoSegments);
    expect(isLive(c, '2025-06-01')).toBe(true); // Sunday
    expect(isLive(c, '2025-06-02')).toBe(true); // Monday
    expect(isLive(c, '2025-06-03')).toBe(false); // Tuesday
    expect(isLive(c, '2025-06-30')).toBe(true); // Monday, last day
    expect(isLive(c, '2025-07-06')).toBe(false); // after end
    expect(isLive(c, '2025-04-27')).toBe(false); // before start
    expect(isLive({ ...c, status: 'paused' }, '2025-06-01')).toBe(false);
  });
});
