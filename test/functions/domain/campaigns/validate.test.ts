import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CampaignError,
  campaignJsonSchema,
  formatCampaignError,
  validateCampaign,
  validateCampaignSource,
} from '../../../../functions/domain/campaigns/index.js';
import { campaignYaml, mustValidate } from './fixtures.js';

function errorsOf(text: string, options = {}): CampaignError[] {
  const result = validateCampaignSource(text, 'c.yaml', options);
  if (result.ok) throw new Error('expected validation errors');
  return result.errors;
}

/** The error whose message contains `needle`, formatted. */
function find(errors: CampaignError[], needle: string): string {
  const e = errors.find((x) => x.message.includes(needle));
  if (!e)
    throw new Error(
      `no error containing ${JSON.stringify(needle)} in:\n${errors.map(formatCampaignError).join('\n')}`,
    );
  return formatCampaignError(e);
}

const segment = (audience: string, extra = '') => `  - id: s1
    audience: ${audience}
    offer:
      subject: Hi
      html: <p>Hi</p>
      text: Hi
${extra}`;

describe('validateCampaignSource', () => {
  it('parses a valid YAML campaign into a Campaign with a content version', () => {
    const c = mustValidate(campaignYaml());
    expect(c.id).toBe('test-campaign');
    expect(c.segments).toHaveLength(1);
    expect(c.segments[0]!.offer.html).toBe('<p>Hello {{ customer.firstName }}</p>');
    expect(c.version).toMatch(/^[0-9a-f]{16}$/);
    expect(mustValidate(campaignYaml()).version).toBe(c.version);
    expect(mustValidate(campaignYaml({ priority: '11' })).version).not.toBe(c.version);
  });

  it('parses JSON with positions', () => {
    const json = JSON.stringify(
      {
        id: 'json-campaign',
        name: 'J',
        owner: 'o',
        status: 'draft',
        schedule: { start: '2025-01-01' },
        priority: 1,
        holdoutPercent: 0,
        frequencyCapDays: 0,
        segments: [
          { id: 'a', audience: { orderCount: { gte: 1 } }, offer: { subject: 's', html: 'h', text: 't' } },
        ],
      },
      null,
      2,
    );
    expect(mustValidate(json, 'c.json').segments[0]!.id).toBe('a');
    const broken = json.replace('"gte"', '"gtee"');
    const errors = errorsOf(broken);
    expect(find(errors, 'unknown operator "gtee"')).toMatch(/^c\.yaml:\d+:\d+: /);
    const line = broken.split('\n').findIndex((l) => l.includes('"gtee"')) + 1;
    expect(errors[0]!.line).toBe(line);
  });

  it('reports an unknown key with line:column and a suggestion', () => {
    const errors = errorsOf(campaignYaml({ holdoutPercnt: '10' }));
    expect(find(errors, 'holdoutPercnt')).toBe(
      'c.yaml:8:1: unknown key "holdoutPercnt" in the campaign — did you mean "holdoutPercent"?',
    );
  });

  it('reports a wrong type at the value', () => {
    const errors = errorsOf(campaignYaml({ priority: 'high' }));
    expect(find(errors, 'priority')).toBe(
      'c.yaml:5:11: priority: expected a whole number (higher wins), found "high"',
    );
  });

  it('reports an unknown field with a suggestion (clv12 vs clv12m style near misses)', () => {
    const errors = errorsOf(campaignYaml({}, segment('{ all: [ { clv12: { gt: 5 } } ] }')));
    expect(find(errors, 'clv12')).toBe(
      'c.yaml:12:26: segments[0].audience: unknown field "clv12" — did you mean "clv"?',
    );
    const e2 = errorsOf(campaignYaml({}, segment('{ daysSinceLastOrdr: { gt: 5 } }')));
    expect(find(e2, 'daysSinceLastOrdr')).toContain('did you mean "daysSinceLastOrder"?');
  });

  it('reports an operator that does not fit the field type', () => {
    const errors = errorsOf(campaignYaml({}, segment('{ lifeStage: { gt: vip } }')));
    expect(find(errors, 'operator "gt"')).toBe(
      'c.yaml:12:30: segments[0].audience: lifeStage: operator "gt" does not fit a field with a fixed set of values; use one of eq, ne, in, not_in, exists',
    );
    const e2 = errorsOf(campaignYaml({}, segment('{ totalSpent: { contains: "1" } }')));
    expect(find(e2, 'contains')).toContain('does not fit a number field');
  });

  it('reports a bad date and an end before start', () => {
    const bad = campaignYaml().replace('start: 2025-01-01', 'start: 2025-02-30\n  end: 2025-01-01');
    expect(find(errorsOf(bad), 'not a real calendar date')).toBe(
      'c.yaml:9:10: schedule.start: "2025-02-30" is not a real calendar date',
    );
    const backwards = campaignYaml().replace('start: 2025-01-01', 'start: 2025-03-01\n  end: 2025-01-01');
    expect(find(errorsOf(backwards), 'before schedule.start')).toMatch(
      /^c\.yaml:10:8: schedule\.end \(2025-01-01\)/,
    );
    const wrongFormat = campaignYaml().replace('start: 2025-01-01', 'start: 1/1/2025');
    expect(find(errorsOf(wrongFormat), 'schedule.start')).toBe(
      'c.yaml:9:10: schedule.start: expected a date written YYYY-MM-DD, e.g. 2025-03-01, found "1/1/2025"',
    );
  });

  it('rejects a holdout of 80 %', () => {
    expect(find(errorsOf(campaignYaml({ holdoutPercent: '80' })), 'holdout')).toBe(
      'c.yaml:6:17: holdoutPercent: expected a holdout percentage from 0 to 50, found 80',
    );
  });

  it('reports an unknown template variable at its position in the campaign file', () => {
    const text = campaignYaml(
      {},
      `  - id: s1
    audience: { all: [] }
    offer:
      subject: "Hi {{ customer.frstName }}"
      html: |
        <p>Hello</p>
        <p>{{ offer.cod }}</p>
      text: Hi
`,
    );
    const errors = errorsOf(text);
    expect(find(errors, 'frstName')).toBe(
      'c.yaml:14:23: segments[0].offer.subject: unknown template variable "customer.frstName" — did you mean "customer.firstName"?',
    );
    expect(find(errors, 'offer.cod')).toBe(
      'c.yaml:17:15: segments[0].offer.html: unknown template variable "offer.cod" — did you mean "offer.code"?',
    );
  });

  it('reports template syntax errors and unknown filters', () => {
    const text = campaignYaml(
      {},
      `  - id: s1
    audience: { all: [] }
    offer:
      subject: "{{ customer.firstName | upcasee }}"
      html: "{% if customer.firstName %}x"
      text: Hi
`,
    );
    const errors = errorsOf(text);
    expect(find(errors, 'upcasee')).toContain('template does not parse: undefined filter: upcasee');
    expect(find(errors, 'not closed')).toContain('segments[0].offer.html');
  });

  it('reports an unreachable segment (earlier rule always true, or identical)', () => {
    const text = campaignYaml(
      {},
      `  - id: first
    audience: { all: [] }
    offer: { subject: a, html: a, text: a }
  - id: second
    audience: { lifeStage: vip }
    offer: { subject: b, html: b, text: b }
`,
    );
    expect(find(errorsOf(text), 'unreachable')).toBe(
      'c.yaml:15:5: segments[1] "second" is unreachable: segment "first" before it matches every customer, and a customer falls into the first segment that matches',
    );
    const same = campaignYaml(
      {},
      `  - id: first
    audience: { any: [ { clvTier: [high, top] }, { lifeStage: vip } ] }
    offer: { subject: a, html: a, text: a }
  - id: second
    audience: { all: [ { lifeStage: { eq: vip } }, { country: DE } ] }
    offer: { subject: b, html: b, text: b }
`,
    );
    expect(find(errorsOf(same), 'unreachable')).toContain(
      'every customer it matches also matches segment "first"',
    );
    const fine = same.replace('lifeStage: { eq: vip }', 'lifeStage: { eq: new }');
    expect(mustValidate(fine).segments).toHaveLength(2);
  });

  it('reports ALL errors at once, sorted by position', () => {
    const text = campaignYaml(
      { status: 'activ', holdoutPercent: '80', colour: 'red' },
      `  - id: s1
    audience: { all: [ { clvTeir: high }, { orderCount: { between: [5, 1] } } ] }
    offer:
      subject: "{{ nope }}"
      html: <p>x</p>
      text: x
  - id: s1
    audience: { lifeStage: vip }
    offer: { subject: y, html: y, text: y }
`,
    );
    const errors = errorsOf(text);
    const messages = errors.map(formatCampaignError).join('\n');
    for (const needle of [
      'did you mean "active"',
      'holdout percentage',
      'unknown key "colour"',
      'unknown field "clvTeir" — did you mean "clvTier"',
      'low ≤ high',
      'unknown template variable "nope"',
      'duplicate segment id "s1"',
    ]) {
      expect(messages).toContain(needle);
    }
    const lines = errors.map((e) => e.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('reports missing required fields and YAML syntax errors', () => {
    const missing = campaignYaml().replace('owner: crm@example.com\n', '');
    expect(find(errorsOf(missing), 'owner')).toBe(
      'c.yaml:1:1: owner: required field is missing (expected an owner (team or email) as text)',
    );
    const syntax = errorsOf('id: a\n  bad: [\n');
    expect(syntax[0]!.message).toMatch(/^not valid YAML\/JSON/);
  });

  it('resolves template files relative to the campaign file and positions their errors there', () => {
    const text = campaignYaml(
      {},
      `  - id: s1
    audience: { all: [] }
    offer:
      subject: Hi
      htmlFile: tpl/body.html
      textFile: tpl/missing.txt
`,
    );
    const files: Record<string, string> = { 'tpl/body.html': '<p>\n  {{ customer.lastNam }}</p>' };
    const result = validateCampaignSource(text, 'campaigns/c.yaml', { readTemplateFile: (p) => files[p] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const out = result.errors.map(formatCampaignError);
    expect(out).toContain(
      'campaigns/tpl/body.html:2:6: segments[0].offer.htmlFile (body.html): unknown template variable "customer.lastNam" — did you mean "customer.lastName"?',
    );
    expect(out.some((l) => l.startsWith('campaigns/c.yaml:16:17:') && l.includes('not found'))).toBe(true);
    files['tpl/body.html'] = '<p>{{ customer.lastName }}</p>';
    files['tpl/missing.txt'] = 'Hi';
    const ok = validateCampaignSource(text, 'campaigns/c.yaml', { readTemplateFile: (p) => files[p] });
    expect(ok.ok && ok.campaign.segments[0]!.offer.html).toBe('<p>{{ customer.lastName }}</p>');
  });

  it('requires an offer code when templates use offer.code, and checks expiry dates', () => {
    const text = campaignYaml(
      {},
      `  - id: s1
    audience: { all: [] }
    offer:
      subject: Code {{ offer.code }}
      html: <p>{{ offer.expiresOn }}</p>
      text: x
      expires: 2024-12-01
`,
    );
    const errors = errorsOf(text);
    expect(find(errors, 'no code')).toContain('segments[0].offer');
    expect(find(errors, 'before schedule.start')).toContain('every offer would arrive expired');
    const later = text
      .replace('expires: 2024-12-01', 'expires: 2025-02-01')
      .replace('Code {{ offer.code }}', 'Hi');
    expect(mustValidate(later).segments[0]!.offer.expires).toBe('2025-02-01');
    const expired = errorsOf(later, { now: '2025-03-01' });
    expect(find(expired, 'already past')).toContain('today is 2025-03-01');
  });

  it('rejects HTML that would hide the footer and forbidden include tags', () => {
    const text = campaignYaml(
      {},
      `  - id: s1
    audience: { all: [] }
    offer:
      subject: Hi
      html: "<p>x</p><!-- open"
      text: "{% include 'secret' %}"
`,
    );
    const errors = errorsOf(text);
    expect(find(errors, 'never closed')).toContain('hide the footer');
    expect(find(errors, 'include')).toContain('not available');
  });

  it('validates every example campaign (MJML compiled with the brand, no warnings)', async () => {
    const dir = path.resolve('examples/campaigns');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      const result = await validateCampaign(readFileSync(path.join(dir, file), 'utf8'), file, {
        now: '2025-06-01',
        readTemplateFile: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
      });
      expect(result.ok ? 'ok' : result.errors.map(formatCampaignError).join('\n'), file).toBe('ok');
      expect(result.ok && result.warnings, file).toEqual([]);
    }
  });

  it('publishes a JSON Schema matching docs/campaign.schema.json', () => {
    const schema = campaignJsonSchema();
    expect(schema['type']).toBe('object');
    expect(schema['additionalProperties']).toBe(false);
    const onDisk = JSON.parse(readFileSync('docs/campaign.schema.json', 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});
