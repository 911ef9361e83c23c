import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkTemplate,
  htmlEngine,
  parseTemplate,
  type TemplatePart,
  templateContext,
} from '../../functions/domain/campaigns/templates.js';
import { subject } from '../functions/domain/campaigns/fixtures.js';

// Property-based fuzzing of campaign templates: random Liquid/HTML (a soup of real Liquid tokens,
// markup and customer variables) is accepted or refused with a positioned problem, never a throw,
// and within the render limits; whatever is accepted never lets customer-supplied markup through.

const TOKENS = [
  '{{ ',
  ' }}',
  '{% ',
  ' %}',
  'if ',
  'for i in ',
  'endfor',
  'endif',
  'else',
  'assign x = ',
  'capture c',
  'endcapture',
  'raw',
  'endraw',
  'include',
  'render',
  'layout',
  'cycle',
  'tablerow t in ',
  'endtablerow',
  'customer.firstName',
  'customer.lastName',
  'customer.attributes.tier',
  'customer.email',
  'offer.code',
  'today',
  'x',
  'i',
  ' | ',
  'upcase',
  'escape',
  'raw',
  'append: ',
  'join: ',
  'split: ',
  'date: "%Y"',
  'default: "friend"',
  "'a'",
  '"b"',
  '(1..',
  '3)',
  '1000000000)',
  '==',
  '<p>',
  '</p>',
  '<script>',
  '</script>',
  '<a href="',
  '">',
  '<!--',
  '-->',
  '\n',
  ' ',
  '..',
  '%}{%',
];
const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));
/** Well-formed pieces that put customer values into the output in many ways (some through `raw`). */
const FRAGMENTS = [
  '{{ customer.firstName }}',
  '{{ customer.lastName | upcase }}',
  '{{ customer.firstName | raw }}',
  '{{ customer.firstName | escape | raw }}',
  '{{ customer.attributes.tier | default: "x" }}',
  '{{ customer.attributes.tier | raw }}',
  '{% assign x = customer.firstName %}{{ x }}',
  '{% assign x = customer.firstName %}{{ x | raw }}',
  '{% capture c %}{{ customer.lastName }}{% endcapture %}{{ c | raw }}',
  '{% if customer.firstName %}<b>{{ customer.firstName | append: "!" }}</b>{% endif %}',
  '{% for i in (1..3) %}{{ customer.firstName | split: "" | join: "" }}{% endfor %}',
  '{{ customer.firstName | url_encode }}',
  '{{ customer.firstName | strip_html | raw }}',
  '{% raw %}<script>{{ customer.firstName }}</script>{% endraw %}',
  '<p title="{{ customer.lastName }}">',
  '<p>',
  '</p>',
];
const fragments = fc
  .array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 6 })
  .map((f) => f.join(''));
const template = fc.oneof(
  { weight: 3, arbitrary: soup },
  { weight: 3, arbitrary: fragments },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const PARTS: TemplatePart[] = ['subject', 'preheader', 'html', 'text'];

/** Customer values that are markup, as a hostile customer would write them. */
const hostile = fc.constantFrom(
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '"><script>alert(2)</script>',
  '<img src=x onerror=alert(3)>',
);

const scriptCount = (s: string) => (s.match(/<script/gi) ?? []).length;

describe('fuzz: campaign templates', () => {
  it('are accepted or refused with a positioned problem; checking never throws', () => {
    fc.assert(
      fc.property(template, fc.constantFrom(...PARTS), (source, part) => {
        const { problems } = checkTemplate(source, part);
        const rows = source.split('\n').length;
        for (const p of problems) {
          expect(p.row).toBeGreaterThanOrEqual(1);
          expect(p.row).toBeLessThanOrEqual(rows);
          expect(p.col).toBeGreaterThanOrEqual(1);
          expect(p.message.trim()).not.toBe('');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an accepted HTML template never renders a customer-supplied <script', () => {
    fc.assert(
      fc.property(template, hostile, hostile, (source, first, tier) => {
        fc.pre(checkTemplate(source, 'html').problems.length === 0);
        const s = subject();
        s.profile.firstName = first;
        s.profile.lastName = first;
        s.profile.attributes['tier'] = tier;
        const context = templateContext(
          { ...s, runDate: '2025-06-01' },
          {
            offerCode: 'CODE10',
            expiresOn: '2025-06-15',
            campaign: { id: 'fuzz', name: 'Fuzz' },
            segmentId: 'everyone',
            attributes: ['tier'],
          },
        );
        let out: string;
        try {
          out = String(htmlEngine.renderSync(parseTemplate(source, 'html'), context));
        } catch (error) {
          // A render error is refused output (the send records a failure), never a partial email.
          expect(error).toBeInstanceOf(Error);
          return;
        }
        // Only the template's own markup may appear (a marketer can write <script>; a customer cannot).
        expect(scriptCount(out)).toBeLessThanOrEqual(scriptCount(source));
        expect(out).not.toMatch(/<img src=x/i);
      }),
      { numRuns: 300 },
    );
  });
});
