// The one polished base layout: a logo header, the campaign's sections on a white card, and the brand
// footer (footer text, social links). The system footer (postal address, unsubscribe link) is added
// below it at send time and is not part of any template. Light and dark colours come from the brand.
import type { Brand } from './brand.js';

export const LAYOUT_NAMES = ['base'] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** CSS for mail apps in dark mode and for the system footer; goes into every email's <head>. */
export function darkModeCss(brand: Brand): string {
  const d = brand.colors.dark;
  return [
    ':root{color-scheme:light dark;supported-color-schemes:light dark}',
    '.rp-system-footer a{color:inherit}',
    '@media (prefers-color-scheme: dark){',
    `body,.rp-body,div[role="article"]{background-color:${d.background}!important}`,
    `.rp-card,.rp-card>table{background:${d.surface}!important;background-color:${d.surface}!important}`,
    `.rp-card div,.rp-card td,.rp-card p,.rp-card li,.rp-card span,.rp-card h1,.rp-card h2,.rp-card h3{color:${d.text}!important}`,
    `.rp-card .rp-muted div,.rp-footer div,.rp-footer a,.rp-system-footer,.rp-system-footer p{color:${d.muted}!important}`,
    `.rp-card a,.rp-card .rp-accent div,.rp-card a.rp-link{color:${d.primary}!important}`,
    `.rp-card .rp-button td,.rp-card .rp-button a,.rp-card .rp-button p{background:${d.primary}!important;background-color:${d.primary}!important;color:${d.background}!important}`,
    `.rp-code-box{border-color:${d.accent}!important;color:${d.text}!important}`,
    `.rp-system-footer a{color:${d.muted}!important}`,
    '.rp-logo-light{display:none!important}',
    '.rp-logo-dark{display:block!important}',
    '}',
  ].join('');
}

function logo(brand: Brand): string {
  const { url, darkUrl, alt, width } = brand.logo;
  const img = (src: string, cls: string, hidden: boolean) =>
    `<a href="${brand.website}" style="text-decoration:none"><img class="${cls}" src="${src}" alt="${esc(alt)}" width="${width}" style="${hidden ? 'display:none;mso-hide:all;' : 'display:block;'}border:0;outline:none;width:${width}px;max-width:100%;height:auto"></a>`;
  return img(url, 'rp-logo-light', false) + (darkUrl ? img(darkUrl, 'rp-logo-dark', true) : '');
}

/**
 * The head and the opening of the body, on ONE line (so the campaign's body starts on line 2 of the
 * document and MJML error lines map back by subtracting 1).
 */
export function baseLayoutStart(brand: Brand): string {
  const c = brand.colors;
  const head =
    '<mj-head>' +
    `<mj-title>${esc(brand.name)}</mj-title>` +
    '<mj-attributes>' +
    `<mj-all font-family="${brand.fonts.body}"></mj-all>` +
    `<mj-text font-size="16px" line-height="25px" color="${c.text}"></mj-text>` +
    '<mj-section padding="0"></mj-section>' +
    '</mj-attributes>' +
    `<mj-style>${darkModeCss(brand)}.rp-card a{color:${c.primary}}h1,h2,h3{font-family:${brand.fonts.heading};margin:0 0 8px}p{margin:0 0 14px}</mj-style>` +
    '</mj-head>';
  const header =
    `<mj-section css-class="rp-card" background-color="${c.surface}" padding="20px 24px" border-radius="10px 10px 0 0">` +
    `<mj-column><mj-raw>${logo(brand)}</mj-raw></mj-column>` +
    '</mj-section>' +
    `<mj-section css-class="rp-card" background-color="${c.surface}" padding="0 24px"><mj-column><mj-divider border-width="1px" border-color="${c.background}" padding="0"></mj-divider></mj-column></mj-section>`;
  return `<mjml>${head}<mj-body css-class="rp-body" background-color="${c.background}" width="600px"><mj-section padding="12px 0"><mj-column><mj-spacer height="4px"></mj-spacer></mj-column></mj-section>${header}`;
}

export function baseLayoutEnd(brand: Brand): string {
  const c = brand.colors;
  const social = brand.social
    .map((s) => `<a href="${s.url}" style="color:${c.muted};text-decoration:underline">${esc(s.name)}</a>`)
    .join(' &nbsp;·&nbsp; ');
  return (
    `<mj-section css-class="rp-card" background-color="${c.surface}" padding="12px 24px 20px" border-radius="0 0 10px 10px"><mj-column><mj-spacer height="4px"></mj-spacer></mj-column></mj-section>` +
    '<mj-section css-class="rp-footer" padding="20px 24px 0"><mj-column>' +
    `<mj-text css-class="rp-footer" align="center" font-size="13px" line-height="20px" color="${c.muted}" padding="0 0 8px">${esc(brand.footerText)}</mj-text>` +
    (social
      ? `<mj-text css-class="rp-footer" align="center" font-size="13px" color="${c.muted}" padding="0">${social}</mj-text>`
      : '') +
    '</mj-column></mj-section>' +
    '</mj-body></mjml>'
  );
}
