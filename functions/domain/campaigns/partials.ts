// The partials a campaign body can use on the base layout: <rp-hero>, <rp-text>, <rp-button>,
// <rp-offer-code>, <rp-product> (alone, or side by side inside <rp-products>) and <rp-divider>. Each
// expands to plain MJML in the brand's style. Expansions add no line breaks, so MJML's line numbers
// still point at the campaign's own lines.
import type { Brand } from './brand.js';
import type { TemplateProblem } from './templates.js';

const ATTR_RE = /([a-zA-Z][\w-]*)\s*=\s*"([^"]*)"/g;
const TAG_RE = /<rp-([a-z-]+)((?:\s+[a-zA-Z][\w-]*\s*=\s*"[^"]*")*)\s*(\/>|>([\s\S]*?)<\/rp-\1\s*>)/g;
const CONTAINER_RE = /<rp-products((?:\s+[a-zA-Z][\w-]*\s*=\s*"[^"]*")*)\s*>([\s\S]*?)<\/rp-products\s*>/g;

interface PartialSpec {
  required: string[];
  optional: string[];
  content: 'none' | 'optional' | 'required';
}

export const PARTIALS: Record<string, PartialSpec> = {
  hero: { required: ['image', 'alt', 'title'], optional: ['href', 'button'], content: 'optional' },
  text: { required: [], optional: ['align'], content: 'required' },
  button: { required: ['href'], optional: ['align'], content: 'required' },
  'offer-code': { required: [], optional: ['label', 'note'], content: 'none' },
  product: { required: ['image', 'alt', 'name', 'href'], optional: ['price', 'note'], content: 'none' },
  divider: { required: [], optional: [], content: 'none' },
};

const linesIn = (s: string) => s.split('\n').length - 1;
const keepLines = (s: string) => '\n'.repeat(linesIn(s));

function attributesOf(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of raw.matchAll(ATTR_RE)) out.set(m[1]!, m[2]!);
  return out;
}

/** Expands every partial; problems (unknown partial, missing attribute) are positioned in `source`. */
export function expandPartials(source: string, brand: Brand): { mjml: string; problems: TemplateProblem[] } {
  const problems: TemplateProblem[] = [];
  let current = source;
  const at = (index: number, message: string) => {
    const before = current.slice(0, index);
    problems.push({ row: linesIn(before) + 1, col: index - before.lastIndexOf('\n'), message });
  };
  const c = brand.colors;
  const section = (inner: string, extra = '') =>
    `<mj-section css-class="rp-card" background-color="${c.surface}" padding="0 24px"${extra}>${inner}</mj-section>`;
  const column = (inner: string) => `<mj-column>${inner}</mj-column>`;

  const check = (name: string, attrs: Map<string, string>, content: string | undefined, index: number) => {
    const spec = PARTIALS[name];
    if (!spec) {
      at(
        index,
        `unknown partial <rp-${name}> (known: ${Object.keys(PARTIALS)
          .map((p) => `rp-${p}`)
          .join(', ')})`,
      );
      return false;
    }
    let ok = true;
    for (const key of spec.required) {
      if ((attrs.get(key) ?? '').trim() === '') {
        at(
          index,
          `<rp-${name}> needs ${key}="..."${key === 'alt' ? ' (alt text is required on every image)' : ''}`,
        );
        ok = false;
      }
    }
    for (const key of attrs.keys()) {
      if (!spec.required.includes(key) && !spec.optional.includes(key)) {
        at(
          index,
          `<rp-${name}> has no attribute "${key}" (allowed: ${[...spec.required, ...spec.optional].join(', ') || 'none'})`,
        );
        ok = false;
      }
    }
    if (spec.content === 'required' && (content ?? '').trim() === '') {
      at(index, `<rp-${name}> needs content, e.g. <rp-${name} ...>Text</rp-${name}>`);
      ok = false;
    }
    return ok;
  };

  const button = (href: string, label: string, align = 'center') =>
    `<mj-button css-class="rp-button" href="${href}" align="${align}" background-color="${c.primary}" color="${c.buttonText}" font-family="${brand.fonts.body}" font-weight="600" font-size="16px" inner-padding="14px 28px" border-radius="6px" padding="8px 0 24px">${label}</mj-button>`;

  const product = (a: Map<string, string>) =>
    `<mj-image src="${a.get('image')}" alt="${a.get('alt')}" href="${a.get('href')}" border-radius="8px" padding="16px 8px 8px"></mj-image>` +
    `<mj-text css-class="rp-heading" font-family="${brand.fonts.heading}" font-size="17px" font-weight="600" color="${c.text}" padding="4px 8px 0">${a.get('name')}</mj-text>` +
    (a.has('price')
      ? `<mj-text css-class="rp-accent" font-size="15px" font-weight="600" color="${c.primary}" padding="4px 8px 0">${a.get('price')}</mj-text>`
      : '') +
    (a.has('note')
      ? `<mj-text css-class="rp-muted" font-size="14px" color="${c.muted}" padding="4px 8px 0">${a.get('note')}</mj-text>`
      : '') +
    `<mj-text padding="6px 8px 16px" font-size="14px"><a class="rp-link" href="${a.get('href')}" style="color:${c.primary};font-weight:600;text-decoration:none">Shop now &rarr;</a></mj-text>`;

  const expandOne = (name: string, a: Map<string, string>, content: string): string => {
    switch (name) {
      case 'hero':
        return (
          section(
            column(
              `<mj-image src="${a.get('image')}" alt="${a.get('alt')}"${a.has('href') ? ` href="${a.get('href')}"` : ''} padding="0" border-radius="0"></mj-image>`,
            ),
            ' padding="0"',
          ) +
          section(
            column(
              `<mj-text css-class="rp-heading" font-family="${brand.fonts.heading}" font-size="28px" line-height="34px" font-weight="700" color="${c.text}" padding="28px 0 8px">${a.get('title')}</mj-text>` +
                (content.trim() === '' ? '' : `<mj-text padding="4px 0 12px">${content}</mj-text>`) +
                (a.has('button') && a.has('href') ? button(a.get('href')!, a.get('button')!, 'left') : ''),
            ),
          )
        );
      case 'text':
        return section(
          column(`<mj-text align="${a.get('align') ?? 'left'}" padding="8px 0">${content}</mj-text>`),
        );
      case 'button':
        return section(column(button(a.get('href')!, content, a.get('align') ?? 'left')));
      case 'offer-code':
        return section(
          column(
            `<mj-text css-class="rp-muted" align="center" font-size="13px" letter-spacing="1px" color="${c.muted}" padding="16px 0 6px">${(a.get('label') ?? 'YOUR CODE').toUpperCase()}</mj-text>` +
              `<mj-text css-class="rp-code" align="center" padding="0 0 6px"><span class="rp-code-box" style="display:inline-block;border:2px dashed ${c.accent};border-radius:6px;padding:10px 22px;font-family:'Courier New',Courier,monospace;font-size:24px;font-weight:700;letter-spacing:3px;color:${c.text}">{{ offer.code }}</span></mj-text>` +
              `<mj-text css-class="rp-muted" align="center" font-size="13px" color="${c.muted}" padding="0 0 16px">${a.get('note') ?? 'Valid until {{ offer.expiresOn }}'}</mj-text>`,
          ),
        );
      case 'product':
        return section(column(product(a)));
      case 'divider':
        return section(
          column(
            `<mj-divider css-class="rp-divider" border-width="1px" border-color="${c.background}" padding="12px 0"></mj-divider>`,
          ),
        );
      default:
        return '';
    }
  };

  let mjml = source.replace(CONTAINER_RE, (whole, rawAttrs: string, inner: string, offset: number) => {
    if (rawAttrs.trim() !== '') at(offset, '<rp-products> takes no attributes');
    const columns: string[] = [];
    for (const m of inner.matchAll(TAG_RE)) {
      const name = m[1]!;
      const attrs = attributesOf(m[2] ?? '');
      const index = offset + whole.indexOf(inner) + (m.index ?? 0);
      if (name !== 'product') {
        at(index, `<rp-products> holds only <rp-product> items, found <rp-${name}>`);
        continue;
      }
      if (check(name, attrs, m[4], index)) columns.push(column(product(attrs)));
    }
    if (columns.length === 0) at(offset, '<rp-products> needs at least one <rp-product .../>');
    return section(columns.join('')) + keepLines(whole);
  });
  current = mjml;
  mjml = mjml.replace(
    TAG_RE,
    (whole, name: string, rawAttrs: string, _end: string, content: string | undefined, offset: number) => {
      const attrs = attributesOf(rawAttrs);
      // Offsets are in the text after the container pass, which kept every line break: rows still match.
      const index = offset;
      if (!check(name, attrs, content, index)) return keepLines(whole);
      return expandOne(name, attrs, content ?? '') + keepLines(whole.replace(content ?? '', ''));
    },
  );
  return { mjml, problems };
}
