import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRule, type Problem, parseRule } from '../../functions/domain/campaigns/rules.js';
import { validateCampaignSource } from '../../functions/domain/campaigns/validate.js';
import {
  ALL_OPERATORS,
  CLV_TIERS,
  FIELDS,
  SIGNAL_TYPES,
} from '../../functions/domain/campaigns/vocabulary.js';
import { LIFE_STAGES } from '../../functions/domain/types.js';
import { scores, subject } from '../functions/domain/campaigns/fixtures.js';

// Property-based fuzzing of the audience rule language: random rule trees (mostly near-valid, built
// from the real vocabulary, plus arbitrary JSON) never make the checker throw; a refused rule always
// has a positioned problem; an accepted rule evaluates deterministically.

const KEYS = [
  ...FIELDS.map((f) => f.name),
  'attributes.tier',
  'attributes.visits',
  ...SIGNAL_TYPES.map((s) => `signal.${s}`),
  'country ',
  'Country',
  'holdоut',
  'all',
  'any',
  'not',
  '',
  '__proto__',
  'constructor',
];
const OPS = [...ALL_OPERATORS, 'bogus', '$where', 'EQ'];
const leaf = fc.oneof(
  fc.integer({ min: -5, max: 400 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...LIFE_STAGES, ...CLV_TIERS, '2025-01-01', '2025-02-30', 'gold', 'DE', 'at_risk'),
  fc.array(fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constantFrom('DE', 'gold', 'at_risk')), {
    maxLength: 3,
  }),
);
const condition = fc
  .tuple(
    fc.constantFrom(...KEYS),
    fc.oneof(leaf, fc.dictionary(fc.constantFrom(...OPS), leaf, { maxKeys: 2 })),
  )
  .map(([k, v]) => ({ [k]: v }));
const { rule } = fc.letrec<{ rule: unknown }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    condition,
    fc.record({ all: fc.array(tie('rule'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('rule'), { maxLength: 3 }) }),
    fc.record({ not: tie('rule') }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
}));

const PATH = ['segments', 0, 'audience'];

const audienceSubject = fc
  .record({
    orderCount: fc.integer({ min: 0, max: 50 }),
    lifeStage: fc.constantFrom(...LIFE_STAGES),
    scored: fc.boolean(),
    tier: fc.oneof(fc.constant(undefined), fc.constantFrom('gold', 'silver'), fc.integer()),
    country: fc.constantFrom('DE', 'FR', 'US'),
  })
  .map((r) => {
    const s = subject({
      scores: r.scored ? scores({ lifeStage: r.lifeStage }) : null,
      lifeStage: r.lifeStage,
    });
    s.aggregates.orderCount = r.orderCount;
    s.profile.country = r.country;
    if (r.tier === undefined) delete s.profile.attributes['tier'];
    else s.profile.attributes['tier'] = r.tier;
    return s;
  });

describe('fuzz: the audience rule language', () => {
  it('never throws; a refused rule has a problem positioned under its path, with a message', () => {
    fc.assert(
      fc.property(rule, (raw) => {
        const problems: Problem[] = [];
        const node = parseRule(raw, PATH, problems);
        if (node === null) expect(problems.length).toBeGreaterThan(0);
        for (const p of problems) {
          expect(p.path.slice(0, PATH.length)).toEqual(PATH);
          expect(p.message.trim()).not.toBe('');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('in a campaign file, every refusal is positioned at file:line:column inside the file', () => {
    fc.assert(
      fc.property(rule, (raw) => {
        const text = `id: fuzz
name: Fuzz
owner: crm@example.com
status: active
schedule: { start: 2025-01-01 }
priority: 1
holdoutPercent: 5
frequencyCapDays: 7
consentTopic: offers
segments:
  - id: everyone
    audience: ${JSON.stringify(raw ?? null)}
    offer: { subject: Hi, html: "<p>Hi</p>", text: Hi }
`;
        const result = validateCampaignSource(text, 'fuzz.yaml');
        const lines = text.split('\n').length;
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.line).toBeLessThanOrEqual(lines);
            expect(e.column).toBeGreaterThanOrEqual(1);
            expect(e.message.trim()).not.toBe('');
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('an accepted rule evaluates deterministically (same subject, a copy of it, again)', () => {
    fc.assert(
      fc.property(rule, fc.array(audienceSubject, { minLength: 1, maxLength: 3 }), (raw, subjects) => {
        const problems: Problem[] = [];
        const node = parseRule(raw, PATH, problems);
        fc.pre(node !== null && problems.length === 0);
        const matcher = compileRule(node!);
        const again = compileRule(parseRule(structuredClone(raw), PATH, [])!);
        for (const s of subjects) {
          const first = matcher(s);
          expect(typeof first).toBe('boolean');
          expect(matcher(structuredClone(s))).toBe(first);
          expect(again(s)).toBe(first);
        }
      }),
      { numRuns: 300 },
    );
  });
});
