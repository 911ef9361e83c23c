import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatCampaignError } from '../../../../functions/domain/campaigns/validate.js';
import { validateGoalSource } from '../../../../functions/domain/measurement/goalFile.js';

const VALID = `name: Cut attrition
metric: { kind: attrition_rate, days: 90 }
baseline: { from: 2026-01-01, to: 2026-03-31 }
target: { change: -25%, by: 2026-12-31 }
`;

function errorsOf(text: string): string[] {
  const r = validateGoalSource(text, 'goals.yaml');
  if (r.ok) throw new Error('expected errors');
  return r.errors.map(formatCampaignError);
}

describe('goal file', () => {
  it('accepts the example and reads a percentage as a fraction', () => {
    const r = validateGoalSource(readFileSync('examples/goals.yaml', 'utf8'), 'examples/goals.yaml');
    expect(r.ok).toBe(true);
    const v = validateGoalSource(VALID, 'goals.yaml');
    expect(v).toMatchObject({ ok: true, goal: { target: { change: -0.25 }, mileposts: 'monthly' } });
  });

  it('positions a wrong value and an unknown key at line:column', () => {
    const text = VALID.replace('days: 90', 'days: 900').replace(
      'name: Cut attrition',
      'name: Cut attrition\ntargte: 1',
    );
    expect(errorsOf(text)).toEqual([
      expect.stringMatching(/^goals\.yaml:3:39: metric\.days: .*183.*found 900$/),
      'goals.yaml:2:1: unknown key "targte" in the goal',
    ]);
  });

  it('says which field is missing', () => {
    expect(errorsOf(VALID.replace(/^target:.*\n/m, ''))).toEqual([
      expect.stringMatching(/^goals\.yaml:1:1: target: required field is missing/),
    ]);
  });

  it('rejects a bad date and a bad change with their positions', () => {
    const text = VALID.replace('to: 2026-03-31', 'to: 2026-02-30').replace('-25%', '-25 percent');
    const errors = errorsOf(text);
    expect(errors).toContainEqual(expect.stringMatching(/^goals\.yaml:3:35: baseline\.to: expected a date/));
    expect(errors).toContainEqual(expect.stringMatching(/^goals\.yaml:4:19: target\.change: .*"-25%"/));
  });

  it('checks the calendar: target after the baseline, a reduction, mileposts in order', () => {
    const text = `name: x
metric: { kind: attrition_rate, days: 30 }
baseline: { from: 2026-03-01, to: 2026-01-31 }
target: { change: 0.1, by: 2026-01-15 }
mileposts:
  - { date: 2026-06-30, change: -5% }
  - { date: 2026-05-31, change: -10% }
`;
    expect(errorsOf(text)).toEqual([
      'goals.yaml:3:35: baseline.to (2026-01-31) is before baseline.from (2026-03-01)',
      'goals.yaml:4:28: target.by (2026-01-15) must be after the baseline ends (2026-01-31)',
      'goals.yaml:4:19: target.change: an attrition goal is a reduction, so the change must be negative (e.g. -25%), found 0.1',
      'goals.yaml:6:13: mileposts[0].date (2026-06-30) is after target.by (2026-01-15)',
      'goals.yaml:7:13: mileposts[1].date (2026-05-31) must come after 2026-06-30 (mileposts are in date order, after the baseline)',
    ]);
  });

  it('reports a YAML syntax error with its position and nothing else', () => {
    expect(errorsOf('name: [unclosed\n')).toEqual([
      expect.stringMatching(/^goals\.yaml:\d+:\d+: not valid YAML/),
    ]);
  });
});
