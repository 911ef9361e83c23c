import { Liquid } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import { htmlEngine, textEngine } from '../../../../functions/domain/campaigns/templates.js';

// The date filter is memoized (it is the most expensive step of rendering): results must be exactly
// the built-in filter's, and moving inputs must not be frozen.
const reference = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true });

describe('the date filter of the campaign engines', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['{{ d | date: "%B %-d, %Y" }}', { d: '2026-12-11' }],
    ['{{ d | date: "%A %e %b" }}', { d: '2027-01-03' }],
    ['{{ d | date: "%Y-%m-%d %H:%M", 120 }}', { d: '2026-12-11T10:00:00Z' }],
    ['{{ d | date }}', { d: '2026-02-28' }],
    ['{{ d | date: "%B" }}', { d: 1767225600000 }],
    ['{{ d | date: "%B" }}', { d: 'not a date' }],
  ];

  it('gives the built-in result, also when asked again', () => {
    for (const engine of [htmlEngine, textEngine]) {
      for (const [template, scope] of cases) {
        const expected = reference.parseAndRenderSync(template, scope);
        expect(engine.parseAndRenderSync(template, scope)).toBe(expected);
        expect(engine.parseAndRenderSync(template, scope)).toBe(expected);
      }
    }
  });

  it('does not keep "now" or "today"', () => {
    const year = String(new Date().getUTCFullYear());
    expect(textEngine.parseAndRenderSync('{{ "now" | date: "%Y" }}', {})).toBe(year);
    const seconds = () => textEngine.parseAndRenderSync('{{ "now" | date: "%s%L" }}', {});
    const first = seconds();
    const until = Date.now() + 50;
    while (Date.now() < until) {
      // wait a few milliseconds
    }
    expect(seconds()).not.toBe(first);
  });
});
