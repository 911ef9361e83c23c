// Compiling a campaign's MJML into the HTML stored with the campaign version: done when a campaign is
// validated or pushed (mjml2html is async and takes milliseconds), never per email. Liquid tags are
// protected through MJML and filled in per customer at send time.
import { convert } from 'html-to-text';
import mjml2html from 'mjml';
import { baseLayoutEnd, baseLayoutStart, darkModeCss, type LayoutName } from './baseLayout.js';
import type { Brand } from './brand.js';
import { protectLiquid } from './liquidProtect.js';
import { expandPartials } from './partials.js';
import { checkHtmlSwallowsFooter, type TemplateProblem } from './templates.js';

/** Gmail clips a message whose HTML is larger than this ("[Message clipped]"), hiding the footer. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
/** Reserved for the system footer: a template naming it could style it away. */
const RESERVED = /rp-system-footer|retention-footer/i;
const PREHEADER_FIRST_TOKEN = 1_000_000;

export interface CompileEmailInput {
  /** Body sections for a layout, or a whole `<mjml>` document of the campaign's own. */
  source: string;
  layout: LayoutName;
  brand: Brand;
  /** The offer's preheader (Liquid), shown by mail apps after the subject. */
  preheader?: string | undefined;
}

export type CompiledEmail =
  | { ok: true; html: string; text: string; ownDocument: boolean }
  | { ok: false; problems: TemplateProblem[] };

export const isOwnMjmlDocument = (source: string) => /^\s*(?:<!--[\s\S]*?-->\s*)*<mjml[\s>]/.test(source);

function positionOf(text: string, index: number): { row: number; col: number } {
  const before = text.slice(0, index);
  return { row: before.split('\n').length, col: index - before.lastIndexOf('\n') };
}

/** Every image needs alt text: screen readers and mail apps that block images show it instead. */
export function missingAltText(source: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const m of source.matchAll(/<(mj-image|img)\b([^>]*)>/gi)) {
    const alt = /\salt\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(m[2] ?? '');
    if (!alt || (alt[1] ?? alt[2] ?? '').trim() === '') {
      problems.push({
        ...positionOf(source, m.index),
        message: `<${m[1]}> has no alt text: add alt="..." describing the image`,
      });
    }
  }
  return problems;
}

function preheaderBlock(token: string): string {
  // The padding keeps mail apps from pulling body text into the preview line after the preheader.
  return (
    '<div class="rp-preheader" style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">' +
    `${token}${'&#847;&zwnj;&nbsp;'.repeat(40)}</div>`
  );
}

export async function compileMjmlEmail(input: CompileEmailInput): Promise<CompiledEmail> {
  const { brand } = input;
  const problems: TemplateProblem[] = [];
  const reserved = RESERVED.exec(input.source);
  if (reserved) {
    problems.push({
      ...positionOf(input.source, reserved.index),
      message: `"${reserved[0]}" is reserved for the system footer, which templates cannot style or remove`,
    });
  }
  let body: ReturnType<typeof protectLiquid>;
  let preheader: ReturnType<typeof protectLiquid>;
  try {
    body = protectLiquid(input.source);
    preheader = protectLiquid((input.preheader ?? '').replace(/\s+/g, ' '), PREHEADER_FIRST_TOKEN);
  } catch (error) {
    return { ok: false, problems: [{ row: 1, col: 1, message: (error as Error).message }] };
  }
  problems.push(...missingAltText(body.text));
  // An open comment or <style> in mj-raw would swallow the closing markup and, with it, the footer.
  problems.push(...checkHtmlSwallowsFooter(body.text));
  const expanded = expandPartials(body.text, brand);
  problems.push(...expanded.problems);
  const ownDocument = isOwnMjmlDocument(input.source);
  const document = ownDocument
    ? expanded.mjml
    : `${baseLayoutStart(brand)}\n${expanded.mjml}\n${baseLayoutEnd(brand)}`;
  const bodyLines = expanded.mjml.split('\n').length;
  const toSourceRow = (line: number) => (ownDocument ? line : Math.min(Math.max(line - 1, 1), bodyLines));

  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(document, {
      validationLevel: 'soft',
      // mj-include would read files of the machine that compiles: never.
      ignoreIncludes: true,
      fonts: {},
      keepComments: false,
    });
  } catch (error) {
    return {
      ok: false,
      problems: [
        ...problems,
        { row: 1, col: 1, message: `MJML does not compile: ${(error as Error).message}` },
      ],
    };
  }
  for (const e of result.errors) {
    problems.push({ row: toSourceRow(e.line), col: 1, message: `MJML: ${e.message}` });
  }
  if (problems.length > 0) return { ok: false, problems };

  let html = result.html
    .replace(
      /<head>/i,
      '<head><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">',
    )
    .replace(/<body([^>]*)>/i, (open) => (input.preheader ? open + preheaderBlock(preheader.text) : open));
  if (ownDocument) html = html.replace(/<\/head>/i, `<style>${darkModeCss(brand)}</style></head>`);
  const text = convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: '.rp-preheader', format: 'skip' },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'table', format: 'block' },
    ],
  });
  const restore = (s: string) => preheader.restore(body.restore(s));
  return { ok: true, html: restore(html), text: tidyText(restore(text)), ownDocument };
}

/** Plain text from an HTML template (the campaign wrote none): Liquid passes through untouched. */
export function textFromHtml(html: string): string {
  const body = protectLiquid(html);
  const text = convert(body.text, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    ],
  });
  return tidyText(body.restore(text));
}

/** Linked images leave their bare URL on a line of its own: noise in a text email. */
function tidyText(text: string): string {
  return `${text
    .replace(/^[ \t]*https?:\/\/\S+[ \t]*$/gm, '')
    .replace(/(?:[ \t\u00a0\u2000-\u200d]|\u034f)+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
