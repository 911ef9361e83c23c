// The brand theme marketing sets once (brand.yaml): logo, colours, fonts, sender name, footer text, postal
// address and social links. The sender *address* always stays the deployment's (SENDER_EMAIL): it must be
// the verified SES identity, whatever a campaign names. A brand without `sender` signs with the deployment's
// SENDER_NAME and POSTAL_ADDRESS.
// Campaign files name it with `brand: ../brand.yaml`; it is stored with every campaign version like a
// template file, and the layouts are compiled with it when a campaign is validated or pushed.
import { z } from 'zod';
import { parseSource } from './positions.js';
import type { PathSegment } from './rules.js';
import { didYouMean } from './suggest.js';

const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const colour = z
  .string({ error: 'expected a colour written #rgb or #rrggbb' })
  .regex(HEX_COLOUR, { error: 'expected a colour written #rgb or #rrggbb, e.g. "#1f6f5c"' });
const httpsUrl = z
  .string({ error: 'expected an https URL' })
  .regex(/^https:\/\/[^\s"'<>]+$/, { error: 'expected an https URL, e.g. "https://shop.example.com"' });
const fontStack = z
  .string({ error: 'expected a CSS font stack' })
  .regex(/^[\w\s,'"-]+$/, { error: 'expected a CSS font stack, e.g. "Helvetica, Arial, sans-serif"' });
const line = (what: string) =>
  z
    .string({ error: `expected ${what} as text` })
    .trim()
    .min(1, { error: `expected ${what}, found empty text` });

const palette = {
  primary: colour.describe('Buttons, links, accents'),
  background: colour.describe('Behind the email card'),
  surface: colour.describe('The email card'),
  text: colour.describe('Body text'),
  muted: colour.describe('Secondary text and the footer'),
  buttonText: colour.describe('Text on primary buttons'),
  accent: colour.describe('Offer-code highlight'),
};

export const BrandSchema = z.strictObject({
  $schema: z.string().optional(),
  name: line('the brand name').max(100, { error: 'expected a brand name of at most 100 characters' }),
  website: httpsUrl,
  logo: z.strictObject({
    url: httpsUrl,
    darkUrl: httpsUrl.optional().describe('A logo for dark backgrounds, shown in dark mode'),
    alt: line('alt text for the logo'),
    width: z.int({ error: 'expected a width in pixels' }).min(40).max(400).default(140),
  }),
  colors: z.strictObject({
    ...palette,
    dark: z
      .strictObject({
        primary: colour,
        background: colour,
        surface: colour,
        text: colour,
        muted: colour,
        accent: colour,
      })
      .describe('The same colours for mail apps in dark mode'),
  }),
  fonts: z.strictObject({ heading: fontStack, body: fontStack }),
  sender: z
    .strictObject({
      name: line('a sender name')
        .max(64, { error: 'expected a sender name of at most 64 characters' })
        // It becomes the From header's display name: no quotes, angle brackets or control characters.
        .regex(/^[^"<>\\\p{Cc}]+$/u, {
          error: 'expected a sender name without quotes, < > or control characters',
        }),
      postalAddress: line('a postal address')
        .min(10, { error: 'expected a full postal address (CAN-SPAM and Gmail want one in every email)' })
        .max(300, { error: 'expected a postal address of at most 300 characters' }),
    })
    .optional()
    .describe(
      "The From name and the footer's postal address; without it, the deployment's SENDER_NAME and POSTAL_ADDRESS",
    ),
  footerText: line('footer text').max(500, { error: 'expected footer text of at most 500 characters' }),
  social: z
    .array(z.strictObject({ name: line('a network name'), url: httpsUrl }), {
      error: 'expected a list of { name, url }',
    })
    .max(6, { error: 'expected at most 6 social links' })
    .default([]),
  /** Only for `campaigns preview --screenshots`: a local folder that answers image requests under assetsUrl. */
  preview: z
    .strictObject({ assetsUrl: httpsUrl, assetsDir: line('a folder relative to the brand file') })
    .optional(),
});
export type Brand = z.infer<typeof BrandSchema>;

export interface BrandError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export type BrandResult = { ok: true; brand: Brand } | { ok: false; errors: BrandError[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function pathLabel(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Validates a brand file (YAML or JSON); every problem is positioned at file:line:column. */
export function parseBrandSource(text: string, fileName: string): BrandResult {
  const src = parseSource(text);
  if (src.syntaxErrors.length > 0) {
    return {
      ok: false,
      errors: src.syntaxErrors.map((e) => ({
        file: fileName,
        line: e.line,
        column: e.column,
        message: `not valid YAML/JSON: ${e.message}`,
      })),
    };
  }
  if (!isObject(src.value)) {
    return {
      ok: false,
      errors: [
        {
          file: fileName,
          line: 1,
          column: 1,
          message: 'expected a brand (a mapping with name, logo, colors, ...)',
        },
      ],
    };
  }
  const parsed = BrandSchema.safeParse(src.value);
  if (parsed.success) return { ok: true, brand: parsed.data };
  const errors: BrandError[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path as PathSegment[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const pos = src.locate([...path, key], 'key');
        const known = Object.keys(BrandSchema.shape);
        errors.push({
          file: fileName,
          ...{ line: pos.line, column: pos.column },
          message: `unknown key "${key}" in ${pathLabel(path) || 'the brand'}${path.length === 0 ? didYouMean(key, known) : ''}`,
        });
      }
      continue;
    }
    const pos = src.locate(path, 'value');
    let found: unknown = src.value;
    for (const seg of path)
      found = isObject(found) || Array.isArray(found) ? (found as never)[seg] : undefined;
    const label = pathLabel(path) || 'the brand';
    errors.push({
      file: fileName,
      line: pos.line,
      column: pos.column,
      message:
        found === undefined
          ? `${label}: required field is missing (${issue.message})`
          : `${label}: ${issue.message}`,
    });
  }
  return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };
}
