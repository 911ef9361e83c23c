import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBrandSource } from '../../../../functions/domain/campaigns/brand.js';
import { compileCampaign } from '../../../../functions/domain/campaigns/compile.js';
import { compileMjmlEmail } from '../../../../functions/domain/campaigns/compileEmail.js';
import { protectLiquid } from '../../../../functions/domain/campaigns/liquidProtect.js';
import { renderOffer, senderDisplayName } from '../../../../functions/domain/campaigns/render.js';
import {
  formatCampaignError,
  validateCampaign,
  validateCampaignSource,
} from '../../../../functions/domain/campaigns/validate.js';
import { campaignYaml, subject } from './fixtures.js';

const BRAND_TEXT = readFileSync('examples/brand.yaml', 'utf8');
const brandResult = parseBrandSource(BRAND_TEXT, 'brand.yaml');
if (!brandResult.ok) throw new Error('examples/brand.yaml does not validate');
const brand = brandResult.brand;
const files: Record<string, string> = { '../brand.yaml': BRAND_TEXT };
const footer = {
  unsubscribeUrl: 'https://shop.example.com/u/tok',
  postalAddress: 'Config Address 1',
  senderName: 'Config',
};

/** A campaign with one segment whose offer is the given (already indented) offer lines. */
function mjmlCampaign(offer: string): string {
  return campaignYaml(
    { brand: '../brand.yaml' },
    `  - id: seg
    audience: { all: [] }
    offer:
      subject: Hello
${offer}
`,
  );
}

const validate = (text: string) =>
  validateCampaign(text, 'campaigns/c.yaml', { readTemplateFile: (p) => files[p] });

describe('Liquid through MJML', () => {
  it('protect/restore gives back any text exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('{', '}', '%', '"', '<', '>', 'a', ' ', '\n', '|') }),
        (s) => {
          fc.pre(!/rpliq\d+x/i.test(s));
          const p = protectLiquid(s);
          expect(p.text).not.toMatch(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/);
          expect(p.text.split('\n').length).toBe(s.split('\n').length);
          expect(p.restore(p.text)).toBe(s);
        },
      ),
    );
  });

  it('every Liquid tag in text and attributes survives MJML compilation unchanged', async () => {
    const value = fc.constantFrom(
      'customer.firstName',
      'offer.code',
      'customer.attributes.tier',
      'campaign.name',
    );
    const filterArg = fc.string({
      unit: fc.constantFrom('a', ' ', '<', '>', '&', "'", ':', '/'),
      maxLength: 8,
    });
    const tag = fc.tuple(value, filterArg).map(([v, arg]) => `{{ ${v} | default: "${arg}" }}`);
    await fc.assert(
      fc.asyncProperty(fc.array(tag, { minLength: 1, maxLength: 4 }), tag, async (inText, inHref) => {
        const source =
          `<mj-section><mj-column><mj-text>${inText.join(' and ')}</mj-text>` +
          `<mj-button href="https://shop.example.com/?r=${inHref}">Go</mj-button>` +
          `<mj-raw>{% if customer.firstName %}<p>x</p>{% endif %}</mj-raw></mj-column></mj-section>`;
        const out = await compileMjmlEmail({ source, layout: 'base', brand });
        if (!out.ok) throw new Error(JSON.stringify(out.problems));
        expect(out.html).toContain(inText.join(' and '));
        expect(out.html).toContain(`href="https://shop.example.com/?r=${inHref}"`);
        expect(out.html).toContain('{% if customer.firstName %}<p>x</p>{% endif %}');
        expect(out.html).not.toMatch(/rpliq\d+x/i);
        expect(out.text).toContain(inText[0]!);
      }),
      { numRuns: 25 },
    );
  });
});

describe('MJML campaigns', () => {
  it('compile with the brand: dark-mode meta and styles, preheader, derived text, Liquid filled at render', async () => {
    const result = await validate(
      mjmlCampaign(`      preheader: Just for {{ customer.firstName }}
      mjml: |
        <rp-hero image="https://img.example.com/h.png" alt="A chair" title="Hi {{ customer.firstName }}">Welcome back.</rp-hero>
        <rp-offer-code />
      code: SAVE10
      expires: 14 days after send`),
    );
    if (!result.ok) throw new Error(result.errors.map(formatCampaignError).join('\n'));
    const offer = result.campaign.segments[0]!.offer;
    expect(offer.html).toContain('<meta name="color-scheme" content="light dark">');
    expect(offer.html).toContain('<meta name="supported-color-schemes" content="light dark">');
    expect(offer.html).toContain('@media (prefers-color-scheme: dark)');
    expect(offer.text).toContain('{{ offer.code }}');
    expect(offer.text).not.toContain('Just for');
    // Links keep their URL in brackets, even when wrapped onto a line of their own.
    for (const social of brand.social)
      expect(offer.text).toContain(`${social.name} [${social.url}]`.split(' ')[1]!);
    const out = renderOffer(compileCampaign(result.campaign), 'seg', subject(), footer, {
      runDate: '2025-06-01',
    });
    expect(out.html).toContain('Just for Ada');
    expect(out.html).toContain('Hi Ada');
    expect(out.html).toContain('SAVE10');
    expect(out.text).toContain('SAVE10');
    expect(out.text).toContain('Valid until 2025-06-15');
    // The brand's sender and postal address sign the footer, in the brand's colours and font.
    expect(out.html).toMatch(
      /<div class="retention-footer rp-system-footer"[^>]*color:#6b7478[^>]*>.*Harbor &amp; Pine<br>Harbor &amp; Pine Goods Co\., 48 Wharf Street.*Unsubscribe<\/a>.*<\/div><\/body>/s,
    );
    expect(out.html).not.toContain('Config Address 1');
    expect(out.text).toMatch(
      /\n-- \nHarbor & Pine\nHarbor & Pine Goods Co\., 48 Wharf Street, Portland, ME 04101, USA\nUnsubscribe: https:\/\/shop\.example\.com\/u\/tok\n$/,
    );
    expect(senderDisplayName(compileCampaign(result.campaign), 'Config')).toBe('Harbor & Pine');
  });

  it("signs with the deployment's sender and address when the brand sets none", async () => {
    files['../brand-no-sender.yaml'] = BRAND_TEXT.replace(/^sender:\n(?: {2}.*\n)+/m, '');
    expect(files['../brand-no-sender.yaml']).not.toContain('postalAddress');
    const result = await validate(
      mjmlCampaign('      mjml: <rp-divider />').replace('../brand.yaml', '../brand-no-sender.yaml'),
    );
    if (!result.ok) throw new Error(result.errors.map(formatCampaignError).join('\n'));
    const compiled = compileCampaign(result.campaign);
    const out = renderOffer(compiled, 'seg', subject(), footer, { runDate: '2025-06-01' });
    expect(out.text).toMatch(
      /\n-- \nConfig\nConfig Address 1\nUnsubscribe: https:\/\/shop\.example\.com\/u\/tok\n$/,
    );
    expect(senderDisplayName(compiled, 'Config')).toBe('Config');
  });

  it('refuses a sender name that would break the From header, at its line', async () => {
    files['../brand-bad-sender.yaml'] = BRAND_TEXT.replace(
      '  name: Harbor & Pine\n',
      "  name: 'Harbor <Pine>'\n",
    );
    const bad = await validate(
      mjmlCampaign('      mjml: <rp-divider />').replace('../brand.yaml', '../brand-bad-sender.yaml'),
    );
    if (bad.ok) throw new Error('expected errors');
    const line =
      files['../brand-bad-sender.yaml']!.split('\n').findIndex((l) => l.includes('Harbor <Pine>')) + 1;
    expect(bad.errors.map(formatCampaignError)).toContain(
      `brand-bad-sender.yaml:${line}:9: brand (brand-bad-sender.yaml): sender.name: expected a sender name without quotes, < > or control characters`,
    );
  });

  it('reports MJML errors at the line of the campaign file', async () => {
    const text = mjmlCampaign(`      mjml: |
        <mj-section><mj-column>
          <mj-text colr="red">Hi</mj-text>
        </mj-column></mj-section>`);
    const result = await validate(text);
    if (result.ok) throw new Error('expected errors');
    const line = text.split('\n').findIndex((l) => l.includes('colr=')) + 1;
    expect(result.errors.map(formatCampaignError)).toContain(
      `campaigns/c.yaml:${line}:9: segments[0].offer.mjml: MJML: Attribute colr is illegal`,
    );
  });

  it('requires alt text on every image, in MJML, partials and HTML', async () => {
    const text = mjmlCampaign(`      mjml: |
        <mj-section><mj-column><mj-image src="https://img.example.com/a.png"></mj-image></mj-column></mj-section>
        <rp-product image="https://img.example.com/b.png" name="Mug" href="https://shop.example.com/m" />`);
    const result = await validate(text);
    if (result.ok) throw new Error('expected errors');
    const messages = result.errors.map(formatCampaignError);
    const lines = text.split('\n');
    const imageLine = lines.findIndex((l) => l.includes('a.png')) + 1;
    const productLine = lines.findIndex((l) => l.includes('b.png')) + 1;
    expect(messages).toContain(
      `campaigns/c.yaml:${imageLine}:32: segments[0].offer.mjml: <mj-image> has no alt text: add alt="..." describing the image`,
    );
    expect(
      messages.some((m) => m.startsWith(`campaigns/c.yaml:${productLine}:`) && m.includes('needs alt="..."')),
    ).toBe(true);
    const html = await validate(
      campaignYaml(
        {},
        `  - id: seg
    audience: { all: [] }
    offer:
      subject: Hi
      html: <p><img src="https://img.example.com/c.png"></p>
`,
      ),
    );
    expect(html.ok).toBe(false);
  });

  it('reports brand errors in the brand file and a missing brand in the campaign', async () => {
    files['../bad-brand.yaml'] = BRAND_TEXT.replace('primary: "#1f5c4a"', 'primary: green');
    const bad = await validate(
      mjmlCampaign('      mjml: <rp-divider />').replace('../brand.yaml', '../bad-brand.yaml'),
    );
    if (bad.ok) throw new Error('expected errors');
    const line = files['../bad-brand.yaml']!.split('\n').findIndex((l) => l.includes('primary: green')) + 1;
    expect(bad.errors.map(formatCampaignError)).toContain(
      `bad-brand.yaml:${line}:12: brand (bad-brand.yaml): colors.primary: expected a colour written #rgb or #rrggbb, e.g. "#1f6f5c"`,
    );
    const none = await validate(
      mjmlCampaign('      mjml: <rp-divider />').replace('brand: ../brand.yaml\n', ''),
    );
    expect(none.ok).toBe(false);
  });

  it('warns when the HTML is over Gmail’s 102 KB clipping size', async () => {
    const big = `<rp-text>${'Lorem ipsum dolor sit amet. '.repeat(4000)}</rp-text>`;
    const result = await validate(mjmlCampaign(`      mjml: '${big}'`));
    if (!result.ok) throw new Error(result.errors.map(formatCampaignError).join('\n'));
    expect(result.warnings.map((w) => w.message).join('\n')).toMatch(/Gmail clips emails over 102 KB/);
    const small = await validate(mjmlCampaign('      mjml: <rp-text>Hi</rp-text>'));
    expect(small.ok && small.warnings).toEqual([]);
  });

  it('never compiles MJML on the sending side: the stored HTML is used, and without it the version is refused', async () => {
    const text = mjmlCampaign('      mjml: <rp-text>Hi {{ customer.firstName }}</rp-text>');
    const pushed = await validate(text);
    if (!pushed.ok) throw new Error('expected valid');
    const html = pushed.campaign.segments[0]!.offer.html;
    const stored = validateCampaignSource(text, 'campaigns/c.yaml', {
      readTemplateFile: (p) => files[p],
      compiledEmails: { seg: { ok: true, html, text: 'stored text', ownDocument: false } },
    });
    expect(stored.ok && stored.campaign.segments[0]!.offer.html).toBe(html);
    const missing = validateCampaignSource(text, 'campaigns/c.yaml', { readTemplateFile: (p) => files[p] });
    expect(missing.ok).toBe(false);
  });
});

describe('the system footer', () => {
  it('cannot be named, styled or removed by a template', async () => {
    const hostile = await validate(
      mjmlCampaign(`      mjml: |
        <mj-raw><style>.rp-system-footer{display:none}</style></mj-raw>`),
    );
    if (hostile.ok) throw new Error('expected errors');
    expect(hostile.errors.map((e) => e.message).join('\n')).toMatch(/reserved for the system footer/);

    // A template that hides everything it can reach and leaves a comment open still gets the footer.
    const sneaky = await compileMjmlEmail({
      source:
        '<mj-head><mj-style>div,p,a,table{display:none!important;visibility:hidden!important}</mj-style></mj-head>' +
        '<mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section>',
      layout: 'base',
      brand,
    });
    // mj-head inside a layout body is an MJML error: the campaign cannot add head styles this way.
    expect(sneaky.ok).toBe(false);
  });
});
