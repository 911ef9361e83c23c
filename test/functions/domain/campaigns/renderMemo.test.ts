import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rememberingRenderer } from '../../../../functions/domain/campaigns/renderMemo.js';
import {
  htmlEngine,
  type TemplateScope,
  templateContext,
  textEngine,
} from '../../../../functions/domain/campaigns/templates.js';
import { subject } from './fixtures.js';

const scope: TemplateScope = {
  offerCode: 'SAVE-10',
  expiresOn: '2025-06-15',
  campaign: { id: 'c', name: 'Campaign' },
  segmentId: 'seg',
  attributes: ['tier', 'nickname'],
};

/** Templates that read values in the ways liquid allows: paths, filters, tags, sizes, loops. */
const TEMPLATES = [
  'Hi {{ customer.firstName | default: "there" }}, {{ offer.code }} until {{ offer.expiresOn }}',
  '{% if customer.firstName %}{{ customer.firstName | upcase }}{% else %}Hello{% endif %}',
  '{{ customer.firstName.size }} {{ customer.firstName | size }} {{ customer.lastName | first }}',
  '{% assign n = purchases.orderCount | plus: 1 %}{{ n }} {% capture c %}{{ scores.clvTier }}{% endcapture %}{{ c }}',
  '{% case scores.lifeStage %}{% when "at_risk" %}miss you{% when "active" %}thanks{% else %}hi{% endcase %}',
  '{% for a in customer.attributes %}{{ a[0] }}={{ a[1] }};{% endfor %}',
  '{% assign k = "tier" %}{{ customer.attributes[k] }} {{ customer.attributes.nickname | default: "-" }}',
  '{% unless purchases.daysSinceLastOrder < 30 %}{{ purchases.daysSinceLastOrder }} days{% endunless %}',
  '{{ purchases.totalSpent | times: 1.1 | round: 2 }} {{ purchases.currency }} {{ scores.pAlive | round: 3 }}',
  '{{ today | date: "%B %-d, %Y" }} {{ offer.expiresOn | date: "%d.%m." }} {{ customer.birthDate | default: "?" }}',
  '{%- for i in (1..purchases.orderCount) limit: 3 -%}*{%- endfor -%}{{ scores.rfmGroup }}',
];

const firstNames = fc.constantFrom('Ada', 'Grace', 'Émile', '<b>x</b>', '', undefined);
const customerArb = fc.record({
  firstName: firstNames,
  lastName: fc.constantFrom('Lovelace', 'Hopper', undefined),
  tier: fc.constantFrom('gold', 'silver', 1, true),
  nickname: fc.option(fc.constantFrom('Addie', 'G'), { nil: undefined }),
  orderCount: fc.integer({ min: 0, max: 5 }),
  totalSpent: fc.constantFrom(0, 10.5, 420),
  lastOrderDate: fc.constantFrom('2025-05-20', '2024-01-01', undefined),
  lifeStage: fc.constantFrom('active', 'at_risk', 'lapsed' as const),
  runDate: fc.constantFrom('2025-06-01', '2025-06-02'),
});

function contextOf(c: {
  firstName: string | undefined;
  lastName: string | undefined;
  tier: string | number | boolean;
  nickname: string | undefined;
  orderCount: number;
  totalSpent: number;
  lastOrderDate: string | undefined;
  lifeStage: 'active' | 'at_risk' | 'lapsed';
  runDate: string;
}) {
  const s = subject({ runDate: c.runDate });
  s.profile.firstName = c.firstName;
  s.profile.lastName = c.lastName;
  s.profile.attributes = { tier: c.tier, ...(c.nickname === undefined ? {} : { nickname: c.nickname }) };
  s.aggregates = {
    ...s.aggregates,
    orderCount: c.orderCount,
    totalSpent: c.totalSpent,
    lastOrderDate: c.lastOrderDate,
  };
  s.lifeStage = c.lifeStage;
  return templateContext(s, scope);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('rememberingRenderer', () => {
  it('gives exactly what liquid renders, for any sequence of customers', () => {
    for (const [engine, name] of [
      [textEngine, 'text'],
      [htmlEngine, 'html'],
    ] as const) {
      for (const source of TEMPLATES) {
        const templates = engine.parse(source);
        const remembered = rememberingRenderer(engine, templates, source);
        fc.assert(
          fc.property(fc.array(customerArb, { minLength: 1, maxLength: 20 }), (customers) => {
            for (const c of customers) {
              const context = contextOf(c);
              expect(remembered(context), `${name}: ${source}`).toBe(
                String(engine.renderSync(templates, context)),
              );
            }
          }),
          { numRuns: 60 },
        );
      }
    }
  });

  it('renders once per distinct set of values read, not once per customer', () => {
    const source = 'Hi {{ customer.firstName }}, {{ offer.code }}';
    const templates = textEngine.parse(source);
    const remembered = rememberingRenderer(textEngine, templates, source);
    const renders = vi.spyOn(textEngine, 'renderSync');
    const ada = subject();
    const adaAgain = subject();
    adaAgain.profile.customerId = 'c-2';
    adaAgain.aggregates.totalSpent = 1; // not read by the template
    const grace = subject();
    grace.profile.firstName = 'Grace';
    expect(remembered(templateContext(ada, scope))).toBe('Hi Ada, SAVE-10');
    expect(remembered(templateContext(adaAgain, scope))).toBe('Hi Ada, SAVE-10');
    expect(remembered(templateContext(grace, scope))).toBe('Hi Grace, SAVE-10');
    expect(renders).toHaveBeenCalledTimes(2);
  });

  it('renders every time when the template asks the clock ("now", "today" as a date)', () => {
    const source = `{{ "now" | date: "%Y" }} {{ 'Today' | date: "%Y" }} {{ customer.firstName }}`;
    const templates = textEngine.parse(source);
    const remembered = rememberingRenderer(textEngine, templates, source);
    const renders = vi.spyOn(textEngine, 'renderSync');
    const context = templateContext(subject(), scope);
    remembered(context);
    remembered(context);
    expect(renders).toHaveBeenCalledTimes(2);
  });

  it('does not remember a render that fails', () => {
    // Under strictVariables a value the context lacks is an error, every time.
    const source = 'Hi {{ customer.nickname }}';
    const templates = textEngine.parse(source);
    const remembered = rememberingRenderer(textEngine, templates, source);
    const renders = vi.spyOn(textEngine, 'renderSync');
    const context = templateContext(subject(), scope);
    expect(() => remembered(context)).toThrow(/undefined variable/);
    expect(() => remembered(context)).toThrow(/undefined variable/);
    expect(renders).toHaveBeenCalledTimes(2);
  });
});
