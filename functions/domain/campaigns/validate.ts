// validateCampaignSource: one function for the CLI, the upload Lambda and the nightly pre-run check.
// Reports ALL problems at once, each positioned at line:column in the campaign (or template) file.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Scalar } from 'yaml';
import { z } from 'zod';
import { parseLocalTime } from '../delivery/sendWindow.js';
import type { IsoDate } from '../types.js';
import { type Brand, parseBrandSource } from './brand.js';
import {
  type CompiledEmail,
  compileMjmlEmail,
  GMAIL_CLIP_BYTES,
  missingAltText,
  textFromHtml,
} from './compileEmail.js';
import { isIsoDate } from './dates.js';
import { type ParsedSource, parseSource } from './positions.js';
import {
  alwaysFalse,
  alwaysTrue,
  describeValue,
  implies,
  type PathSegment,
  type Problem,
  parseRule,
  type RuleNode,
} from './rules.js';
import { type AudienceRule, type Campaign, type CampaignFile, CampaignFileSchema } from './schema.js';
import { didYouMean } from './suggest.js';
import { checkTemplate, type TemplatePart, type TemplateProblem } from './templates.js';

export interface CampaignError {
  file: string;
  line: number;
  column: number;
  /** Where in the document, e.g. `segments[1].offer.subject` (empty for the whole file). */
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; campaign: Campaign; warnings: CampaignError[] }
  | { ok: false; errors: CampaignError[] };

/** What an MJML segment compiled to (by `validateCampaign`, or stored with the campaign version). */
export type CompiledEmails = Readonly<Record<string, CompiledEmail>>;

export interface ValidateOptions {
  /** Reads a template file by its path relative to the campaign file; undefined when it does not exist. */
  readTemplateFile?: (relativePath: string) => string | undefined;
  /** Today; enables checks against the calendar (an active offer that already expired). */
  now?: IsoDate;
  /**
   * The compiled MJML of each segment, by segment id: `validateCampaign` compiles them (MJML is async),
   * the night passes the HTML stored with the campaign version. A segment with mjml but no entry is an error.
   */
  compiledEmails?: CompiledEmails;
}

/**
 * Why a file path in a campaign (template, MJML or brand file) is refused, or undefined. Paths are
 * relative to the campaign file and may climb one folder (a shared `../brand.yaml`), no further: a
 * campaign must not pull an arbitrary file of the machine or the bucket into an email.
 */
export function filePathProblem(path: string): string | undefined {
  if (posix.isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) {
    return `expected a path relative to the campaign file, found "${path}"`;
  }
  const normalized = posix.normalize(path.replaceAll('\\', '/'));
  if (normalized.startsWith('../../') || normalized === '../..') {
    return `"${path}" leaves the campaign's folders (at most one "../" is allowed, e.g. ../brand.yaml)`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f]/.test(path)) return `${JSON.stringify(path)} contains control characters`;
  return undefined;
}

/** `file:line:column: message` */
export function formatCampaignError(e: CampaignError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

export function pathToString(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

/** The zod schema at a document path (for the known keys of an object). */
function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = CampaignFileSchema;
  for (const seg of path) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return undefined;
  }
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/**
 * Keys are ASCII: a key that looks right but is refused usually holds a look-alike letter (Cyrillic
 * "о" for Latin "o"), invisible in an editor, so the message names it.
 */
function lookAlike(key: string): string {
  const chars = [...key];
  const index = chars.findIndex((c) => c.codePointAt(0)! > 0x7e);
  if (index < 0) return '';
  const c = chars[index]!;
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return ` (character ${index + 1}, "${c}", is the non-ASCII character ${code}, not a plain letter)`;
}

function where(path: readonly PropertyKey[]): string {
  const p = pathToString(path as PathSegment[]);
  return p === '' ? 'the campaign' : p;
}

function issueMessages(
  issue: z.core.$ZodIssue,
  data: unknown,
): Array<{ path: PathSegment[]; target: 'key' | 'value'; message: string }> {
  const path = issue.path as PathSegment[];
  const found = valueAt(data, path);
  const name = where(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const schema = schemaAt(path);
      const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      return issue.keys.map((key) => ({
        path: [...path, key],
        target: 'key' as const,
        message: `unknown key "${key}" in ${name}${lookAlike(key)}${didYouMean(key, known)}${known.length > 0 && didYouMean(key, known) === '' ? ` (allowed: ${known.filter((k) => k !== '$schema').join(', ')})` : ''}`,
      }));
    }
    case 'invalid_type':
      if (found === undefined) {
        return [{ path, target: 'value', message: `${name}: required field is missing (${issue.message})` }];
      }
      return [{ path, target: 'value', message: `${name}: ${issue.message}, found ${describeValue(found)}` }];
    case 'invalid_value': {
      const hint = typeof found === 'string' ? didYouMean(found, issue.values.map(String)) : '';
      if (found === undefined) {
        return [{ path, target: 'value', message: `${name}: required field is missing (${issue.message})` }];
      }
      return [
        { path, target: 'value', message: `${name}: ${issue.message}, found ${describeValue(found)}${hint}` },
      ];
    }
    default:
      return [{ path, target: 'value', message: `${name}: ${issue.message}, found ${describeValue(found)}` }];
  }
}

interface Collector {
  errors: CampaignError[];
  warnings: CampaignError[];
  add(path: readonly PathSegment[], target: 'key' | 'value', message: string): void;
  template(path: readonly PathSegment[], problem: TemplateProblem, templateFile?: string): void;
}

function collector(fileName: string, src: ParsedSource): Collector {
  const errors: CampaignError[] = [];
  const warnings: CampaignError[] = [];
  return {
    errors,
    warnings,
    add(path, target, message) {
      const pos = src.locate(path, target);
      errors.push({ file: fileName, line: pos.line, column: pos.column, path: pathToString(path), message });
    },
    template(path, problem, templateFile) {
      const label = pathToString(path);
      if (templateFile !== undefined) {
        errors.push({
          file: templateFile,
          line: problem.row,
          column: problem.col,
          path: label,
          message: `${label} (${posix.basename(templateFile)}): ${problem.message}`,
        });
        return;
      }
      const pos = templatePosition(src, path, problem);
      errors.push({
        file: fileName,
        line: pos.line,
        column: pos.column,
        path: label,
        message: `${label}: ${pos.note}${problem.message}`,
      });
    },
  };
}

/** Maps a position inside an inline template to the campaign file, exactly for literal blocks and one-line scalars. */
function templatePosition(src: ParsedSource, path: readonly PathSegment[], p: TemplateProblem) {
  const node: Scalar | undefined = src.scalarAt(path);
  const fallback = { ...src.locate(path, 'value'), note: `template line ${p.row}, column ${p.col}: ` };
  if (!node?.range) return fallback;
  const [startOffset, endOffset] = node.range;
  const raw = src.source.slice(startOffset, endOffset);
  const start = src.positionOf(startOffset);
  if (node.type === 'BLOCK_LITERAL') {
    const lines = raw.split('\n');
    const content = lines.slice(1);
    const indent = Math.min(
      ...content.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
    );
    if (!Number.isFinite(indent)) return fallback;
    return { line: start.line + p.row, column: indent + p.col, note: '' };
  }
  if (!raw.includes('\n') && p.row === 1 && (node.type === 'PLAIN' || !raw.slice(0, p.col).includes('\\'))) {
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
    return { line: start.line, column: start.column + quoted + p.col - 1, note: '' };
  }
  return fallback;
}

const TEMPLATE_PARTS: Array<{ part: TemplatePart; inline: string; file?: string; required: boolean }> = [
  { part: 'subject', inline: 'subject', required: true },
  { part: 'preheader', inline: 'preheader', required: false },
  { part: 'html', inline: 'html', file: 'htmlFile', required: false },
  { part: 'text', inline: 'text', file: 'textFile', required: false },
];

/** Validates one campaign file (YAML or JSON). */
export function validateCampaignSource(
  text: string,
  fileName: string,
  options: ValidateOptions = {},
): ValidationResult {
  const src = parseSource(text);
  const out = collector(fileName, src);
  if (src.syntaxErrors.length > 0) {
    return {
      ok: false,
      errors: src.syntaxErrors.map((e) => ({
        file: fileName,
        line: e.line,
        column: e.column,
        path: '',
        message: e.limit ? `refused: ${e.message}` : `not valid YAML/JSON: ${e.message}`,
      })),
    };
  }
  const data = src.value;
  if (!isObject(data)) {
    out.add(
      [],
      'value',
      `expected a campaign (a mapping with id, name, schedule, segments, ...), found ${describeValue(data)}`,
    );
    return { ok: false, errors: out.errors };
  }

  const parsed = CampaignFileSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const m of issueMessages(issue, data)) out.add(m.path, m.target, m.message);
    }
  }

  const resolved = semanticChecks(data, fileName, options, out);

  const errors = dedupe(out.errors);
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, campaign: buildCampaign(parsed.data, resolved), warnings: out.warnings };
}

function dedupe(errors: CampaignError[]): CampaignError[] {
  const seen = new Set<string>();
  const out: CampaignError[] = [];
  for (const e of errors) {
    const key = formatCampaignError(e);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out.sort((a, b) =>
    a.file === b.file
      ? a.line - b.line || a.column - b.column
      : a.file === errors[0]?.file
        ? -1
        : a.file < b.file
          ? -1
          : 1,
  );
}

interface ResolvedTemplates {
  bodies: Map<number, { html: string; text: string }>;
  brand: Brand | undefined;
}

/** Checks beyond the shape, run on the raw document so they report even when the shape has errors. */
function semanticChecks(
  data: Record<string, unknown>,
  fileName: string,
  options: ValidateOptions,
  out: Collector,
): ResolvedTemplates {
  const resolved: ResolvedTemplates = { bodies: new Map(), brand: checkBrand(data, fileName, options, out) };
  const schedule = isObject(data['schedule']) ? data['schedule'] : {};
  const start = schedule['start'];
  const end = schedule['end'];
  for (const key of ['start', 'end'] as const) {
    const v = schedule[key];
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !isIsoDate(v)) {
      out.add(['schedule', key], 'value', `schedule.${key}: "${v}" is not a real calendar date`);
    }
  }
  if (isIsoDate(start) && isIsoDate(end) && end < start) {
    out.add(
      ['schedule', 'end'],
      'value',
      `schedule.end (${end}) is before schedule.start (${start}); the campaign could never run`,
    );
  }
  const days = schedule['daysOfWeek'];
  if (Array.isArray(days) && new Set(days).size !== days.length) {
    out.add(['schedule', 'daysOfWeek'], 'value', 'schedule.daysOfWeek: a day is listed twice');
  }

  const sendWindow = isObject(data['sendWindow']) ? data['sendWindow'] : {};
  // Shape errors (not HH:MM) come from the schema; only the order of start and end is checked here.
  const opens = typeof sendWindow['start'] === 'string' ? parseLocalTime(sendWindow['start']) : undefined;
  const closes = typeof sendWindow['end'] === 'string' ? parseLocalTime(sendWindow['end']) : undefined;
  if (opens !== undefined && closes !== undefined && closes <= opens) {
    out.add(
      ['sendWindow', 'end'],
      'value',
      `sendWindow.end (${sendWindow['end']}) is not after sendWindow.start (${sendWindow['start']}); a window lies within one local day`,
    );
  }

  const segments = Array.isArray(data['segments']) ? data['segments'] : [];
  const seenIds = new Map<string, number>();
  const rules: Array<{ index: number; id: string; node: RuleNode } | null> = [];
  segments.forEach((segment, i) => {
    rules.push(null);
    if (!isObject(segment)) return;
    const id = segment['id'];
    if (typeof id === 'string') {
      const first = seenIds.get(id);
      if (first !== undefined) {
        out.add(
          ['segments', i, 'id'],
          'value',
          `segments[${i}].id: duplicate segment id "${id}" (already used by segments[${first}])`,
        );
      } else seenIds.set(id, i);
    }
    if ('audience' in segment) {
      const problems: Problem[] = [];
      const node = parseRule(segment['audience'], ['segments', i, 'audience'], problems);
      for (const p of problems) out.add(p.path, p.target, `segments[${i}].audience: ${p.message}`);
      if (node) rules[i] = { index: i, id: typeof id === 'string' ? id : `#${i}`, node };
    }
    if (isObject(segment['offer'])) {
      const r = checkOffer(
        segment['offer'],
        ['segments', i, 'offer'],
        fileName,
        options,
        out,
        start,
        end,
        data['status'],
        {
          segmentId: typeof id === 'string' ? id : undefined,
          hasBrand: resolved.brand !== undefined || 'brand' in data,
        },
      );
      if (r) resolved.bodies.set(i, r);
    }
  });

  // Reachability: a customer falls into the FIRST matching segment.
  for (const later of rules) {
    if (!later) continue;
    const where = ['segments', later.index, 'audience'];
    if (alwaysFalse(later.node)) {
      out.add(
        where,
        'key',
        `segments[${later.index}] "${later.id}" can never match anyone (its rule is always false, e.g. \`any: []\`)`,
      );
      continue;
    }
    for (const earlier of rules.slice(0, later.index)) {
      if (!earlier) continue;
      if (alwaysTrue(earlier.node)) {
        out.add(
          where,
          'key',
          `segments[${later.index}] "${later.id}" is unreachable: segment "${earlier.id}" before it matches every customer, and a customer falls into the first segment that matches`,
        );
        break;
      }
      if (implies(later.node, earlier.node)) {
        out.add(
          where,
          'key',
          `segments[${later.index}] "${later.id}" is unreachable: every customer it matches also matches segment "${earlier.id}" before it, and a customer falls into the first segment that matches`,
        );
        break;
      }
    }
  }
  return resolved;
}

function checkOffer(
  offer: Record<string, unknown>,
  path: PathSegment[],
  fileName: string,
  options: ValidateOptions,
  out: Collector,
  start: unknown,
  end: unknown,
  status: unknown,
  segment: { segmentId: string | undefined; hasBrand: boolean },
): { html: string; text: string } | undefined {
  const label = pathToString(path);
  const bodies: Record<string, string> = {};
  const facts = { usesOfferCode: false, usesExpiry: false };
  let complete = true;
  const mjml = checkMjmlOffer(offer, path, fileName, options, out, segment);
  if (mjml === 'invalid') complete = false;
  else if (mjml) {
    bodies['html'] = mjml.html;
    facts.usesOfferCode ||= mjml.usesOfferCode;
    facts.usesExpiry ||= mjml.usesExpiry;
  }
  const hasHtml = offer['html'] !== undefined || offer['htmlFile'] !== undefined;
  if (mjml === undefined && !hasHtml) {
    out.add(path, 'value', `${label}: missing the body: give mjml (or mjmlFile) or html (or htmlFile)`);
    complete = false;
  }
  for (const { part, inline, file, required } of TEMPLATE_PARTS) {
    const inlineValue = offer[inline];
    const fileValue = file ? offer[file] : undefined;
    if (inlineValue !== undefined && fileValue !== undefined) {
      out.add([...path, file!], 'key', `${label}: give either ${inline} or ${file}, not both`);
      complete = false;
      continue;
    }
    let source: string | undefined;
    if (typeof inlineValue === 'string') {
      source = inlineValue;
      const { problems, facts: f } = checkTemplate(source, part);
      if (part === 'html') problems.push(...missingAltText(source));
      for (const p of problems) out.template([...path, inline], p);
      facts.usesOfferCode ||= f.usesOfferCode;
      facts.usesExpiry ||= f.usesExpiry;
      if (problems.length > 0) complete = false;
    } else if (typeof fileValue === 'string' && fileValue !== '') {
      const filePath = [...path, file!];
      const pathProblem = filePathProblem(fileValue);
      if (pathProblem) {
        out.add(filePath, 'value', `${label}.${file}: ${pathProblem}`);
        complete = false;
        continue;
      }
      if (!options.readTemplateFile) {
        out.add(
          filePath,
          'value',
          `${label}.${file}: template files cannot be read here; inline the template as ${inline}`,
        );
        complete = false;
        continue;
      }
      source = options.readTemplateFile(fileValue);
      if (source === undefined) {
        out.add(
          filePath,
          'value',
          `${label}.${file}: template file "${fileValue}" not found (paths are relative to the campaign file)`,
        );
        complete = false;
        continue;
      }
      const templateFile = posix.join(posix.dirname(fileName.replaceAll('\\', '/')), fileValue);
      const { problems, facts: f } = checkTemplate(source, part);
      if (part === 'html') problems.push(...missingAltText(source));
      for (const p of problems) out.template(filePath, p, templateFile);
      facts.usesOfferCode ||= f.usesOfferCode;
      facts.usesExpiry ||= f.usesExpiry;
      if (problems.length > 0) complete = false;
    } else if (required && inlineValue === undefined && fileValue === undefined) {
      out.add(
        path,
        'value',
        `${label}: missing ${part === 'subject' ? 'subject' : `${inline} (or ${file})`}`,
      );
      complete = false;
      continue;
    }
    if (source !== undefined) bodies[part] = source;
  }
  if (facts.usesOfferCode && offer['code'] === undefined) {
    out.add(path, 'value', `${label}: the templates use {{ offer.code }} but the offer has no code`);
  }
  if (facts.usesExpiry && offer['expires'] === undefined) {
    out.add(path, 'value', `${label}: the templates use {{ offer.expiresOn }} but the offer has no expires`);
  }
  const expires = offer['expires'];
  if (typeof expires === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(expires)) {
    if (!isIsoDate(expires))
      out.add([...path, 'expires'], 'value', `${label}.expires: "${expires}" is not a real calendar date`);
    else if (isIsoDate(start) && expires < start) {
      out.add(
        [...path, 'expires'],
        'value',
        `${label}.expires (${expires}) is before schedule.start (${start}); every offer would arrive expired`,
      );
    } else if (
      options.now !== undefined &&
      status === 'active' &&
      expires < options.now &&
      !(isIsoDate(end) && end < options.now)
    ) {
      out.add(
        [...path, 'expires'],
        'value',
        `${label}.expires (${expires}) is already past (today is ${options.now}) while the campaign is active`,
      );
    }
  }
  if (!complete || bodies['html'] === undefined) return undefined;
  const html = bodies['html'];
  if (Buffer.byteLength(html) + FOOTER_ALLOWANCE_BYTES > GMAIL_CLIP_BYTES) {
    const pos = src(out, path);
    out.warnings.push({
      ...pos,
      file: fileName,
      path: label,
      message: `${label}: the HTML is ${(Buffer.byteLength(html) / 1024).toFixed(0)} KB before personal values; Gmail clips emails over 102 KB and hides the rest, footer included`,
    });
  }
  const derived = mjml && mjml !== 'invalid' ? mjml.text : undefined;
  return { html, text: bodies['text'] ?? derived ?? textFromHtml(html) };
}

function buildCampaign(file: CampaignFile, resolved: ResolvedTemplates): Campaign {
  const { $schema: _schema, ...rest } = file;
  const body: Omit<Campaign, 'version'> = {
    ...rest,
    ...(resolved.brand ? { brandTheme: resolved.brand } : {}),
    segments: file.segments.map((s, i) => {
      const bodies = resolved.bodies.get(i)!;
      return {
        ...s,
        audience: s.audience as AudienceRule,
        offer: { ...s.offer, html: bodies.html, text: bodies.text },
      };
    }),
  };
  const version = createHash('sha256').update(stableStringify(body)).digest('hex').slice(0, 16);
  return { ...body, version };
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The system footer and the personal values added at send time. */
const FOOTER_ALLOWANCE_BYTES = 2 * 1024;

function src(out: Collector, path: readonly PathSegment[]): { line: number; column: number } {
  // The collector positions through `add`; borrow it without keeping the error.
  const before = out.errors.length;
  out.add(path, 'value', '');
  const e = out.errors.splice(before, 1)[0]!;
  return { line: e.line, column: e.column };
}

/** Reads and validates the brand file the campaign names; its errors are positioned in the brand file. */
function checkBrand(
  data: Record<string, unknown>,
  fileName: string,
  options: ValidateOptions,
  out: Collector,
): Brand | undefined {
  const path = data['brand'];
  if (typeof path !== 'string' || path === '') return undefined;
  const pathProblem = filePathProblem(path);
  if (pathProblem) {
    out.add(['brand'], 'value', `brand: ${pathProblem}`);
    return undefined;
  }
  const text = options.readTemplateFile?.(path);
  if (text === undefined) {
    out.add(
      ['brand'],
      'value',
      `brand: brand file "${path}" not found (paths are relative to the campaign file)`,
    );
    return undefined;
  }
  const brandFile = posix.join(posix.dirname(fileName.replaceAll('\\', '/')), path);
  const result = parseBrandSource(text, brandFile);
  if (result.ok) return result.brand;
  for (const e of result.errors)
    out.errors.push({ ...e, path: 'brand', message: `brand (${posix.basename(brandFile)}): ${e.message}` });
  return undefined;
}

/** The mjml / mjmlFile body of an offer: undefined when it has none, 'invalid' when it has problems. */
function checkMjmlOffer(
  offer: Record<string, unknown>,
  path: PathSegment[],
  fileName: string,
  options: ValidateOptions,
  out: Collector,
  segment: { segmentId: string | undefined; hasBrand: boolean },
): { html: string; text: string; usesOfferCode: boolean; usesExpiry: boolean } | 'invalid' | undefined {
  const label = pathToString(path);
  const read = mjmlSourceOf(offer, options.readTemplateFile);
  if (read.kind === 'none') {
    if (offer['layout'] !== undefined)
      out.add(
        [...path, 'layout'],
        'key',
        `${label}.layout: a layout holds an mjml body; add mjml (or mjmlFile)`,
      );
    return undefined;
  }
  const key = read.kind === 'inline' ? 'mjml' : 'mjmlFile';
  const templateFile =
    read.kind === 'file' ? posix.join(posix.dirname(fileName.replaceAll('\\', '/')), read.path) : undefined;
  const report = (p: TemplateProblem) => out.template([...path, key], p, templateFile);
  if (read.kind === 'both') {
    out.add([...path, 'mjmlFile'], 'key', `${label}: give either mjml or mjmlFile, not both`);
    return 'invalid';
  }
  if (offer['html'] !== undefined || offer['htmlFile'] !== undefined) {
    out.add(
      [...path, offer['html'] !== undefined ? 'html' : 'htmlFile'],
      'key',
      `${label}: give either mjml or html, not both`,
    );
    return 'invalid';
  }
  if (read.kind === 'refused') {
    out.add([...path, 'mjmlFile'], 'value', `${label}.mjmlFile: ${read.problem}`);
    return 'invalid';
  }
  if (read.kind === 'missing') {
    out.add(
      [...path, 'mjmlFile'],
      'value',
      `${label}.mjmlFile: template file "${read.path}" not found (paths are relative to the campaign file)`,
    );
    return 'invalid';
  }
  if (!segment.hasBrand) {
    out.add(
      path,
      'value',
      `${label}: an mjml body is styled by the brand theme: add \`brand: ../brand.yaml\` to the campaign`,
    );
    return 'invalid';
  }
  const { problems } = checkTemplate(read.source, 'html');
  for (const p of problems) report(p);
  const compiled = segment.segmentId === undefined ? undefined : options.compiledEmails?.[segment.segmentId];
  if (!compiled) {
    if (problems.length === 0 && out.errors.every((e) => e.path !== 'brand'))
      out.add(
        [...path, key],
        'value',
        `${label}.${key}: the MJML was not compiled (validate with validateCampaign, or push the campaign again)`,
      );
    return 'invalid';
  }
  if (!compiled.ok) {
    for (const p of compiled.problems) report(p);
    return 'invalid';
  }
  if (problems.length > 0) return 'invalid';
  const { facts } = checkTemplate(compiled.html, 'html');
  return {
    html: compiled.html,
    text: compiled.text,
    usesOfferCode: facts.usesOfferCode,
    usesExpiry: facts.usesExpiry,
  };
}

type MjmlSource =
  | { kind: 'none' }
  | { kind: 'both' }
  | { kind: 'inline'; source: string }
  | { kind: 'file'; path: string; source: string }
  | { kind: 'missing'; path: string }
  | { kind: 'refused'; problem: string };

function mjmlSourceOf(
  offer: Record<string, unknown>,
  readTemplateFile: ValidateOptions['readTemplateFile'],
): MjmlSource {
  const inline = offer['mjml'];
  const file = offer['mjmlFile'];
  if (inline !== undefined && file !== undefined) return { kind: 'both' };
  if (typeof inline === 'string') return { kind: 'inline', source: inline };
  if (typeof file === 'string' && file !== '') {
    const problem = filePathProblem(file);
    if (problem) return { kind: 'refused', problem };
    const source = readTemplateFile?.(file);
    return source === undefined ? { kind: 'missing', path: file } : { kind: 'file', path: file, source };
  }
  return { kind: 'none' };
}

/**
 * Validates a campaign file and compiles its MJML bodies (with the brand theme) first: the one
 * entry point for the CLI, the S3 upload and preview. The night validates the stored version with
 * `validateCampaignSource` and the stored compiled HTML, so no MJML runs at send time.
 */
export async function validateCampaign(
  text: string,
  fileName: string,
  options: ValidateOptions = {},
): Promise<ValidationResult> {
  const data = parseSource(text).value;
  const compiledEmails: Record<string, CompiledEmail> = {};
  if (isObject(data) && Array.isArray(data['segments'])) {
    const brandPath = data['brand'];
    const brandText = typeof brandPath === 'string' ? options.readTemplateFile?.(brandPath) : undefined;
    const brand = brandText === undefined ? undefined : parseBrandSource(brandText, String(brandPath));
    if (brand?.ok) {
      for (const segment of data['segments']) {
        if (!isObject(segment) || typeof segment['id'] !== 'string' || !isObject(segment['offer'])) continue;
        const offer = segment['offer'];
        const read = mjmlSourceOf(offer, options.readTemplateFile);
        if (read.kind !== 'inline' && read.kind !== 'file') continue;
        compiledEmails[segment['id']] = await compileMjmlEmail({
          source: read.source,
          layout: 'base',
          brand: brand.brand,
          preheader: typeof offer['preheader'] === 'string' ? offer['preheader'] : undefined,
        });
      }
    }
  }
  return validateCampaignSource(text, fileName, { ...options, compiledEmails });
}

/** The compiled HTML and text of a campaign's MJML segments, to store with the version. */
export function compiledEmailsOf(campaign: Campaign): Record<string, { html: string; text: string }> {
  const out: Record<string, { html: string; text: string }> = {};
  for (const s of campaign.segments) {
    if (s.offer.mjml !== undefined || s.offer.mjmlFile !== undefined)
      out[s.id] = { html: s.offer.html, text: s.offer.text };
  }
  return out;
}
