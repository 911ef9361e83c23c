// Liquid templates: checking (parse + every variable against the documented vocabulary) and rendering
// (HTML bodies escape values; subject/preheader are plain text without CR/LF; a system footer is always
// appended).
import { Liquid, type Template } from 'liquidjs';
import type {
  CustomerProfile,
  CustomerScores,
  IsoDate,
  LifeStage,
  PurchaseAggregates,
  RfmScores,
} from '../types.js';
import { didYouMean } from './suggest.js';
import { LIQUID_BUILTIN_PROPERTIES, TEMPLATE_VARIABLES, type TemplateVocabulary } from './vocabulary.js';

export type TemplatePart = 'subject' | 'preheader' | 'html' | 'text';

/** A problem inside a template, positioned within the template text (1-based). */
export interface TemplateProblem {
  row: number;
  col: number;
  message: string;
}

const FORBIDDEN_TAGS = ['include', 'render', 'layout'];

/**
 * Limits on every parse and render (liquidjs' DoS options). A campaign template is a few KB and
 * renders in well under a millisecond; these stop a template that reaches for the file system, asks
 * for a range of a billion or loops without end, at validation (see `trialRender`) and at send time.
 */
export const LIQUID_LIMITS = {
  /** Characters of template text per parse. */
  parseLimit: 1_000_000,
  /** liquidjs memory units per render: range sizes, joined and appended string lengths, etc. */
  memoryLimit: 2_000_000,
  /** Milliseconds per render call: the last resort against a loop the memory limit does not see. */
  renderLimit: 1_000,
  /** Characters of output per rendered part (Gmail clips HTML past ~102 KB already). */
  maxOutputChars: 1_000_000,
} as const;

function makeEngine(html: boolean): Liquid {
  const engine = new Liquid({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    outputEscape: html ? 'escape' : undefined,
    cache: false,
    // An empty in-memory template map instead of the file system: even if a tag that loads files
    // came back, it could not read anything on the machine.
    templates: {},
    relativeReference: false,
    parseLimit: LIQUID_LIMITS.parseLimit,
    memoryLimit: LIQUID_LIMITS.memoryLimit,
    renderLimit: LIQUID_LIMITS.renderLimit,
  });
  memoizeDateFilter(engine);
  for (const tag of FORBIDDEN_TAGS) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(
          `the {% ${tag} %} tag is not available in campaign templates; use htmlFile / textFile`,
        );
      },
      render() {},
    });
  }
  return engine;
}

/**
 * The built-in `date` filter builds an Intl formatter for every month or weekday name it prints, the
 * most expensive step of rendering an email. Templates format the same few dates (offer expiry, the
 * run date) for every customer, so results are kept per input and arguments. Only plain string and
 * number inputs are kept: "now" and "today" change, and objects may be mutated.
 */
function memoizeDateFilter(engine: Liquid): void {
  const builtin = engine.filters['date'];
  if (typeof builtin !== 'function') return;
  const results = new Map<string, unknown>();
  const plain = (v: unknown) => typeof v === 'string' || typeof v === 'number' || v === undefined;
  engine.registerFilter('date', function (this: unknown, value: unknown, ...args: unknown[]) {
    const moving = typeof value === 'string' && /^\s*(now|today)\s*$/i.test(value);
    if (!plain(value) || moving || !args.every(plain)) {
      return builtin.call(this as never, value, ...args);
    }
    const key = JSON.stringify([value, ...args]);
    if (results.has(key)) return results.get(key);
    const result = builtin.call(this as never, value, ...args);
    if (results.size >= 1_000) results.clear();
    results.set(key, result);
    return result;
  });
}

/** HTML bodies: every `{{ value }}` is HTML-escaped (use `| raw` only for trusted markup). */
export const htmlEngine = makeEngine(true);
/** Subject, preheader and text bodies: no escaping. */
export const textEngine = makeEngine(false);

const engineFor = (part: TemplatePart) => (part === 'html' ? htmlEngine : textEngine);

/** Every documented variable path, for suggestions. */
export function templateVariablePaths(vocab: TemplateVocabulary = TEMPLATE_VARIABLES, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(vocab)) {
    const path = prefix ? `${prefix}.${name === '*' ? '<name>' : name}` : name;
    if (typeof child === 'string') out.push(path);
    else out.push(...templateVariablePaths(child, path));
  }
  return out;
}

const ALL_PATHS = templateVariablePaths();

function checkVariable(segments: ReadonlyArray<string | number | unknown>): string | undefined {
  let node: TemplateVocabulary | string = TEMPLATE_VARIABLES;
  const shown = segments.map(String).join('.');
  for (let i = 0; i < segments.length; i++) {
    const seg = String(segments[i]);
    if (typeof node === 'string') {
      if (i === segments.length - 1 && LIQUID_BUILTIN_PROPERTIES.has(seg)) return undefined;
      return `unknown template variable "${shown}": "${segments.slice(0, i).join('.')}" is a single value`;
    }
    const child: TemplateVocabulary | string | undefined = node[seg] ?? node['*'];
    if (child === undefined) {
      return `unknown template variable "${shown}"${didYouMean(shown, ALL_PATHS)}`;
    }
    node = child;
  }
  if (typeof node !== 'string') {
    const options = templateVariablePaths(node, shown).slice(0, 4).join(', ');
    return `template variable "${shown}" is a group, not a value; use e.g. ${options}`;
  }
  return undefined;
}

const POSITION_SUFFIX = /, line:(\d+), col:(\d+)$/;

export interface TemplateFacts {
  /** Custom attribute names the template reads (`customer.attributes.<name>`). */
  attributes: string[];
  usesOfferCode: boolean;
  usesExpiry: boolean;
}

/** Parses a template and checks every variable it reads; returns problems and what it uses. */
export function checkTemplate(
  source: string,
  part: TemplatePart,
): { problems: TemplateProblem[]; facts: TemplateFacts } {
  const facts: TemplateFacts = { attributes: [], usesOfferCode: false, usesExpiry: false };
  const engine = engineFor(part);
  let parsed: Template[];
  try {
    parsed = engine.parse(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const m = POSITION_SUFFIX.exec(message);
    return {
      problems: [
        {
          row: m ? Number(m[1]) : 1,
          col: m ? Number(m[2]) : 1,
          message: `template does not parse: ${message.replace(POSITION_SUFFIX, '')}`,
        },
      ],
      facts,
    };
  }
  const problems: TemplateProblem[] = [];
  const analysis = engine.analyzeSync(parsed);
  for (const variables of Object.values(analysis.globals)) {
    for (const variable of variables) {
      const segments = variable.segments.map((s) => (typeof s === 'object' ? String(s) : s));
      const problem = checkVariable(segments);
      const loc = variable.location;
      if (problem) problems.push({ row: loc.row, col: loc.col, message: problem });
      const [root, second, third] = segments;
      if (root === 'customer' && second === 'attributes' && third !== undefined)
        facts.attributes.push(String(third));
      if (root === 'offer' && second === 'code') facts.usesOfferCode = true;
      if (root === 'offer' && second === 'expiresOn') facts.usesExpiry = true;
    }
  }
  if (part === 'html') problems.push(...checkHtmlSwallowsFooter(source));
  if (problems.length === 0) problems.push(...trialRender(engine, parsed, facts, part, source));
  return { problems, facts };
}

/** Markup put into customer values by the trial render: it must come out escaped. */
const CANARY = '<rp-canary>';
const CANARY_RE = /<rp-canary>/i;

function positionIn(source: string, index: number): { row: number; col: number } {
  const before = source.slice(0, index);
  return { row: before.split('\n').length, col: index - before.lastIndexOf('\n') };
}

/** A customer with every documented value set, for the trial render of a template. */
const TRIAL_SUBJECT: TemplateSubject = {
  profile: {
    customerId: 'trial-customer',
    email: 'trial@example.com',
    firstName: 'Ann',
    lastName: 'Lee',
    country: 'DE',
    language: 'de',
    timeZone: 'Europe/Berlin',
    birthDate: '1990-05-01',
    signupDate: '2024-01-10',
    consent: { email: true, topics: {} },
    attributes: {},
  },
  aggregates: {
    orderCount: 3,
    totalSpent: 120.5,
    currency: 'EUR',
    firstOrderDate: '2024-02-01',
    lastOrderDate: '2025-09-01',
  },
  scores: {
    pAlive: 0.5,
    expectedPurchases: 1.2,
    expectedAvgValue: 40,
    clv: 80,
    clvTier: 'high',
    lifeStage: 'at_risk',
    rfm: { group: 'At Risk' },
  },
  runDate: '2025-10-01',
};

/**
 * Renders the template once for a sample customer under the engine's limits, so that a template that
 * could never be sent (a range of a billion, a loop past the memory or time limit, output past
 * `maxOutputChars`) is refused when it is validated, not on the night. Other render errors depend on
 * the customer's values and are not the validator's to guess; only the limits are reported.
 */
function trialRender(
  engine: Liquid,
  parsed: Template[],
  facts: TemplateFacts,
  part: TemplatePart,
  source: string,
): TemplateProblem[] {
  // In HTML, every customer-supplied text carries markup: if it comes out as markup (`| raw` on a
  // customer value), a customer could put a <script> or a phishing link into everyone's email.
  const subject: TemplateSubject =
    part === 'html'
      ? {
          ...TRIAL_SUBJECT,
          profile: {
            ...TRIAL_SUBJECT.profile,
            firstName: `Ann${CANARY}`,
            lastName: `Lee${CANARY}`,
            email: 'trial@example.com',
          },
        }
      : TRIAL_SUBJECT;
  const context = templateContext(subject, {
    offerCode: 'CODE10',
    expiresOn: '2025-10-15',
    campaign: { id: 'trial', name: 'Trial' },
    segmentId: 'trial',
    attributes: facts.attributes,
  });
  for (const name of facts.attributes) {
    (context['customer'] as { attributes: Record<string, unknown> }).attributes[name] =
      part === 'html' ? `x${CANARY}` : 'x';
  }
  let output: string;
  try {
    output = String(engine.renderSync(parsed, context));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/limit exceeded/.test(message)) return [];
    const m = POSITION_SUFFIX.exec(message);
    return [
      {
        row: m ? Number(m[1]) : 1,
        col: m ? Number(m[2]) : 1,
        message: `template exceeds the render limits (${message.replace(POSITION_SUFFIX, '')}; at most a range or loop of ${LIQUID_LIMITS.memoryLimit.toLocaleString('en')} items and ${LIQUID_LIMITS.renderLimit} ms per email)`,
      },
    ];
  }
  if (part === 'html' && CANARY_RE.test(output)) {
    const raw = /\|\s*raw\b/.exec(source);
    const at = raw ? positionIn(source, raw.index) : { row: 1, col: 1 };
    return [
      {
        ...at,
        message:
          'a customer value reaches the HTML unescaped (`| raw`): a customer could put markup or a script into the email; remove `| raw` from customer values',
      },
    ];
  }
  if (output.length > LIQUID_LIMITS.maxOutputChars) {
    return [
      {
        row: 1,
        col: 1,
        message: `template renders to ${output.length} characters, more than the limit of ${LIQUID_LIMITS.maxOutputChars}`,
      },
    ];
  }
  return [];
}

/** Markup left open at the end of a body would hide the system footer in mail clients. */
export function checkHtmlSwallowsFooter(source: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const at = (index: number): { row: number; col: number } => {
    const before = source.slice(0, index);
    const row = before.split('\n').length;
    return { row, col: index - before.lastIndexOf('\n') };
  };
  const open = source.lastIndexOf('<!--');
  if (open >= 0 && source.indexOf('-->', open + 4) < 0) {
    problems.push({ ...at(open), message: 'HTML comment "<!--" is never closed (it would hide the footer)' });
  }
  for (const tag of ['script', 'style', 'textarea', 'title']) {
    const opens = [...source.matchAll(new RegExp(`<${tag}\\b`, 'gi'))];
    const closes = source.match(new RegExp(`</${tag}\\s*>`, 'gi'))?.length ?? 0;
    const last = opens.at(-1);
    if (last && opens.length > closes) {
      problems.push({ ...at(last.index), message: `<${tag}> is never closed (it would hide the footer)` });
    }
  }
  return problems;
}

export function parseTemplate(source: string, part: TemplatePart): Template[] {
  return engineFor(part).parse(source);
}

// ---- rendering ----------------------------------------------------------------------------

export interface Footer {
  unsubscribeUrl: string;
  postalAddress: string;
  senderName: string;
  /** The layout's look (from the brand theme); the plain default without one. */
  style?: FooterStyle | undefined;
}

export interface FooterStyle {
  fontFamily: string;
  color: string;
}

/**
 * Inline and !important: a template's CSS cannot hide, shrink, move or clip the system footer. It sits
 * outside every element a template controls (a child of <body>), so hiding an ancestor is not possible.
 */
const unhideable = (display: 'block' | 'inline') =>
  `display:${display}!important;visibility:visible!important;opacity:1!important;position:static!important;` +
  'transform:none!important;clip-path:none!important;filter:none!important;height:auto!important;' +
  'max-height:none!important;overflow:visible!important;font-size:12px!important;text-indent:0!important;';
const UNHIDEABLE = unhideable('block');
const UNHIDEABLE_LINK = unhideable('inline');

export interface TemplateScope {
  offerCode: string | undefined;
  expiresOn: string | null;
  campaign: { id: string; name: string };
  segmentId: string;
  attributes: readonly string[];
}

/** The scores a template can show. */
export type TemplateScores = Pick<
  CustomerScores,
  'pAlive' | 'expectedPurchases' | 'expectedAvgValue' | 'clv' | 'clvTier' | 'lifeStage'
> & { rfm: Pick<RfmScores, 'group'> };

/**
 * What templates can show of a customer: a part of the audience subject. The send stage reads only
 * this much of each customer (see `CustomerStore.batchGetForSending`).
 */
export interface TemplateSubject {
  profile: CustomerProfile;
  aggregates: Pick<
    PurchaseAggregates,
    'orderCount' | 'totalSpent' | 'currency' | 'firstOrderDate' | 'lastOrderDate'
  >;
  scores: TemplateScores | null;
  lifeStage?: LifeStage | null | undefined;
  runDate: IsoDate;
}

/** The variables a template sees; every documented path is present (null when unknown). */
export function templateContext(subject: TemplateSubject, scope: TemplateScope): Record<string, unknown> {
  const p: CustomerProfile = subject.profile;
  const a = subject.aggregates;
  const s = subject.scores;
  const attributes: Record<string, unknown> = {};
  for (const name of scope.attributes) attributes[name] = null;
  Object.assign(attributes, p.attributes);
  return {
    customer: {
      id: p.customerId,
      firstName: p.firstName ?? null,
      lastName: p.lastName ?? null,
      email: p.email,
      country: p.country,
      language: p.language,
      birthDate: p.birthDate ?? null,
      signupDate: p.signupDate,
      attributes,
    },
    purchases: {
      orderCount: a.orderCount,
      totalSpent: a.totalSpent,
      currency: a.currency,
      firstOrderDate: a.firstOrderDate ?? null,
      lastOrderDate: a.lastOrderDate ?? null,
      daysSinceLastOrder:
        a.lastOrderDate === undefined
          ? null
          : Math.round((Date.parse(subject.runDate) - Date.parse(a.lastOrderDate)) / 86_400_000),
    },
    scores: {
      pAlive: s?.pAlive ?? null,
      expectedPurchases: s?.expectedPurchases ?? null,
      expectedAvgValue: s?.expectedAvgValue ?? null,
      clv: s?.clv ?? null,
      clvTier: s?.clvTier ?? null,
      lifeStage: subject.lifeStage ?? s?.lifeStage ?? null,
      rfmGroup: s?.rfm.group ?? null,
    },
    offer: { code: scope.offerCode ?? null, expiresOn: scope.expiresOn },
    campaign: scope.campaign,
    segment: { id: scope.segmentId },
    today: subject.runDate,
  };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to replace control characters
const HEADER_CONTROL_CHARS = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/** Plain-text header value: control characters (CR, LF, tabs...) become spaces, runs collapse. */
export function headerText(s: string): string {
  return s.replace(HEADER_CONTROL_CHARS, ' ').replace(/ {2,}/g, ' ').trim();
}

function checkUnsubscribeUrl(unsubscribeUrl: string): void {
  if (
    !/^https:\/\/\S+$/.test(unsubscribeUrl) &&
    // Plain http only for the local runtime on the loopback interface.
    !/^http:\/\/(?:localhost|127\.0\.0\.1)[:/]\S*$/.test(unsubscribeUrl)
  ) {
    throw new Error(`footer: unsubscribeUrl must be an https URL, got ${JSON.stringify(unsubscribeUrl)}`);
  }
}

/** The parts of the footer that are the same in every email of a sender, built once per sender. */
interface SenderFooter {
  postalAddress: string;
  senderName: string;
  style: FooterStyle | undefined;
  htmlSender: string;
  textSender: string;
}
let lastSender: SenderFooter | undefined;

function senderFooter(footer: Footer): SenderFooter {
  if (
    lastSender?.postalAddress === footer.postalAddress &&
    lastSender.senderName === footer.senderName &&
    lastSender.style === footer.style
  ) {
    return lastSender;
  }
  if (footer.postalAddress.trim() === '') throw new Error('footer: postalAddress is required');
  if (footer.senderName.trim() === '') throw new Error('footer: senderName is required');
  const address = footer.postalAddress
    .split(/\r?\n/)
    .map((l) => escapeHtml(l.trim()))
    .filter(Boolean)
    .join('<br>');
  const style = footer.style;
  lastSender = {
    postalAddress: footer.postalAddress,
    senderName: footer.senderName,
    style,
    htmlSender: style
      ? `<div class="retention-footer rp-system-footer" style="${UNHIDEABLE}max-width:552px;margin:0 auto;padding:8px 24px 32px;text-align:center;line-height:18px;font-family:${escapeHtml(style.fontFamily)};color:${escapeHtml(style.color)}">` +
        `<p style="${UNHIDEABLE}margin:0 0 8px">${escapeHtml(footer.senderName)}<br>${address}</p>`
      : `<div class="retention-footer" style="${UNHIDEABLE}margin-top:32px;color:#666">` +
        `<p style="${UNHIDEABLE}">${escapeHtml(footer.senderName)}<br>${address}</p>`,
    textSender: `\n\n-- \n${footer.senderName}\n${footer.postalAddress.trim()}\n`,
  };
  return lastSender;
}

export function htmlFooter(footer: Footer): string {
  const sender = senderFooter(footer);
  checkUnsubscribeUrl(footer.unsubscribeUrl);
  return (
    sender.htmlSender +
    `<p style="${UNHIDEABLE}margin:0"><a href="${escapeHtml(footer.unsubscribeUrl)}" style="${UNHIDEABLE_LINK}color:inherit;text-decoration:underline">Unsubscribe</a> from these emails.</p>` +
    '</div>'
  );
}

export function textFooter(footer: Footer): string {
  const sender = senderFooter(footer);
  checkUnsubscribeUrl(footer.unsubscribeUrl);
  return `${sender.textSender}Unsubscribe: ${footer.unsubscribeUrl}\n`;
}

/** Appends the footer to a rendered HTML body: before the last `</body>` when there is one. */
export function appendHtmlFooter(html: string, footer: Footer): string {
  const markup = htmlFooter(footer);
  // A dangling comment would swallow the footer: close it and put the footer at the very end.
  const open = html.lastIndexOf('<!--');
  if (open >= 0 && html.indexOf('-->', open + 4) < 0) return `${html}-->${markup}`;
  const close = html.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
  return close >= 0 ? html.slice(0, close) + markup + html.slice(close) : html + markup;
}
