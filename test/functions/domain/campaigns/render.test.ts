import { describe, expect, it } from 'vitest';
import { renderOffer } from '../../../../functions/domain/campaigns/index.js';
import { campaignYaml, compiled, subject } from './fixtures.js';

const footer = {
  unsubscribeUrl: 'https://shop.example.com/u/abc?x=1&y=2',
  postalAddress: 'Example GmbH\nHauptstraße 1, 10115 Berlin',
  senderName: 'Example Shop',
};

const campaign = compiled(
  campaignYaml(
    { name: '"Spring <sale>"' },
    `  - id: seg
    audience: { all: [] }
    offer:
      subject: "Hi {{ customer.firstName }}, {{ campaign.name }}"
      preheader: "Code {{ offer.code }}"
      html: |
        <html><body><p>Hello {{ customer.firstName }} ({{ customer.attributes.tier }}, {{ customer.attributes.nickname | default: "-" }})</p>
        <p>{{ offer.code }} until {{ offer.expiresOn }}; CLV {{ scores.clv }}</p></body></html>
      text: "Hello {{ customer.firstName }} {{ offer.code }} {{ offer.expiresOn }}"
      code: SAVE-25
      expires: 14 days after send
`,
  ),
);

describe('renderOffer', () => {
  it('renders values, offer expiry from the run date, and escapes personal values in HTML only', () => {
    const s = subject();
    s.profile.firstName = '<script>alert(1)</script>';
    const out = renderOffer(campaign, 'seg', s, footer, { runDate: '2025-06-01' });
    expect(out.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt; (gold, -)');
    expect(out.html).not.toContain('<script>');
    expect(out.html).toContain('SAVE-25 until 2025-06-15; CLV 300');
    expect(out.text).toContain('Hello <script>alert(1)</script> SAVE-25 2025-06-15');
    expect(out.subject).toBe('Hi <script>alert(1)</script>, Spring <sale>');
    expect(out.preheader).toBe('Code SAVE-25');
  });

  it('always appends the footer to both bodies (HTML before </body>, values escaped)', () => {
    const out = renderOffer(campaign, 'seg', subject(), footer, { runDate: '2025-06-01' });
    expect(out.html).toMatch(/<div class="retention-footer"[^>]*>.*<\/div><\/body><\/html>\s*$/s);
    expect(out.html).toContain('href="https://shop.example.com/u/abc?x=1&amp;y=2"');
    expect(out.html).toContain('Example GmbH<br>Hauptstraße 1, 10115 Berlin');
    expect(out.text).toMatch(
      /\n-- \nExample Shop\nExample GmbH\nHauptstraße 1, 10115 Berlin\nUnsubscribe: https:\/\/shop\.example\.com\/u\/abc\?x=1&y=2\n$/,
    );
    expect(() =>
      renderOffer(campaign, 'seg', subject(), { ...footer, unsubscribeUrl: '' }, { runDate: '2025-06-01' }),
    ).toThrow(/unsubscribeUrl/);
  });

  it('strips CR/LF from the subject so no header can be injected', () => {
    const s = subject();
    s.profile.firstName = 'Eve\r\nBcc: victim@example.com\n';
    const out = renderOffer(campaign, 'seg', s, footer, { runDate: '2025-06-01' });
    expect(out.subject).not.toMatch(/[\r\n]/);
    expect(out.subject).toBe('Hi Eve Bcc: victim@example.com , Spring <sale>');
  });

  it('renders null for unknown values instead of failing, and caches parsed templates', () => {
    const s = subject({ scores: null });
    s.profile.firstName = undefined;
    const out = renderOffer(campaign, 'seg', s, footer, { runDate: '2025-06-01' });
    expect(out.html).toContain('<p>Hello  (gold, -)</p>');
    expect(campaign.templates.has('seg')).toBe(true);
    expect(() => renderOffer(campaign, 'nope', s, footer, { runDate: '2025-06-01' })).toThrow(
      /no segment "nope"/,
    );
  });

  it('keeps what a segment shares per run date: another run date gets its own expiry', () => {
    const first = renderOffer(campaign, 'seg', subject(), footer, { runDate: '2025-06-01' });
    const later = renderOffer(campaign, 'seg', subject(), footer, { runDate: '2025-07-10' });
    expect(first.text).toContain('SAVE-25 2025-06-15');
    expect(later.text).toContain('SAVE-25 2025-07-24');
    expect(renderOffer(campaign, 'seg', subject(), footer, { runDate: '2025-06-01' })).toEqual(first);
  });

  it('builds the footer from the sender of each call (the sender part is reused, never stale)', () => {
    const other = { ...footer, senderName: 'Other <Shop>', postalAddress: 'Other Street 2' };
    const a = renderOffer(campaign, 'seg', subject(), footer, { runDate: '2025-06-01' });
    const b = renderOffer(campaign, 'seg', subject(), other, { runDate: '2025-06-01' });
    expect(a.html).toContain('Example Shop<br>Example GmbH');
    expect(b.html).toContain('Other &lt;Shop&gt;<br>Other Street 2');
    expect(b.text).toContain('\n-- \nOther <Shop>\nOther Street 2\nUnsubscribe: ');
    expect(() =>
      renderOffer(campaign, 'seg', subject(), { ...footer, postalAddress: ' ' }, { runDate: '2025-06-01' }),
    ).toThrow(/postalAddress/);
  });

  it('replaces every control character in the subject with a space, like the header rules', () => {
    const s = subject();
    s.profile.firstName = 'A\u0000B\tC\u007fD\u2028E\u2029F  G';
    const out = renderOffer(campaign, 'seg', s, footer, { runDate: '2025-06-01' });
    expect(out.subject).toBe('Hi A B C D E F G, Spring <sale>');
  });
});
