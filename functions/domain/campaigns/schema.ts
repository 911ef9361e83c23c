// The campaign file format as zod schemas: one for validation (rules are checked by rules.ts so their
// errors can be precise), one for the published JSON Schema (rules spelled out from the vocabulary).
import { z } from 'zod';
import { LOCAL_TIME_RE, type SendWindow } from '../delivery/sendWindow.js';
import type { IsoDate } from '../types.js';
import { LIFE_STAGES } from '../types.js';
import { LAYOUT_NAMES } from './baseLayout.js';
import type { Brand } from './brand.js';
import { WEEKDAYS } from './dates.js';
import {
  CLV_TIERS,
  FIELDS,
  type FieldSpec,
  operatorsFor,
  SIGNAL_FILTERS,
  SIGNAL_PREFIX,
  SIGNAL_TYPES,
  type SignalFilterKind,
} from './vocabulary.js';

export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export const EXPIRES_RE = /^(?:\d{4}-\d{2}-\d{2}|[1-9]\d* days? after send)$/;
export const OFFER_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const TOPIC_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

const slug = (what: string) =>
  z
    .string({ error: `expected ${what}: lower-case letters, digits and dashes` })
    .regex(SLUG_RE, { error: `expected ${what}: lower-case letters, digits and dashes, e.g. "spring-sale"` })
    .max(64, { error: `expected ${what} of at most 64 characters` });

const isoDate = z
  .string({ error: 'expected a date written YYYY-MM-DD' })
  .regex(ISO_DATE_RE, { error: 'expected a date written YYYY-MM-DD, e.g. 2025-03-01' });

const text = (what: string) =>
  z.string({ error: `expected ${what} as text` }).min(1, { error: `expected ${what}, found empty text` });

/** A rule as written in the file; its shape is checked by rules.ts. */
export type AudienceRule = { readonly [key: string]: unknown };

const localTime = (what: string) =>
  z
    .string({ error: `expected ${what} written HH:MM` })
    .regex(LOCAL_TIME_RE, { error: `expected ${what} written HH:MM (00:00–23:59), e.g. "09:00"` });

export const SendWindowSchema = z
  .strictObject({
    start: localTime('a local start time').describe('Local time the window opens, HH:MM'),
    end: localTime('a local end time').describe(
      'Local time the window closes (exclusive), HH:MM, after start',
    ),
  })
  .describe(
    "Send in this window of the customer's local time (profile.timeZone); the program default when absent",
  );

function offerSchema() {
  return z.strictObject({
    subject: text('a subject line').describe(
      'Subject line, Liquid; plain text (no HTML escaping, CR/LF removed)',
    ),
    preheader: text('a preheader').optional().describe('Preview text shown after the subject, Liquid'),
    html: text('an HTML body').optional().describe('HTML body, Liquid; values are HTML-escaped'),
    htmlFile: text('a template file path')
      .optional()
      .describe('HTML body file, relative to the campaign file'),
    layout: z
      .enum(LAYOUT_NAMES, { error: `expected a layout name: ${LAYOUT_NAMES.join(', ')}` })
      .optional()
      .describe('The layout an mjml body goes into (default base); an mjml document of its own needs none'),
    mjml: text('an MJML body')
      .optional()
      .describe('MJML body (sections and rp- partials) or a whole <mjml> document, Liquid'),
    mjmlFile: text('a template file path')
      .optional()
      .describe('MJML body file, relative to the campaign file'),
    text: text('a plain-text body')
      .optional()
      .describe('Plain-text body, Liquid; derived from the HTML when absent'),
    textFile: text('a template file path')
      .optional()
      .describe('Text body file, relative to the campaign file'),
    code: z
      .string({ error: 'expected an offer code as text' })
      .regex(OFFER_CODE_RE, { error: 'expected an offer code of letters, digits, "-" and "_" (1–64)' })
      .optional()
      .describe('Offer code shown to the customer as {{ offer.code }}'),
    expires: z
      .string({ error: 'expected a date (YYYY-MM-DD) or "N days after send"' })
      .regex(EXPIRES_RE, {
        error: 'expected a date (YYYY-MM-DD) or "N days after send", e.g. "14 days after send"',
      })
      .optional()
      .describe('Offer expiry: a date, or "N days after send"'),
  });
}

function segmentSchema(audience: z.ZodType) {
  return z.strictObject({
    id: slug('a segment id'),
    description: z.string({ error: 'expected a description as text' }).optional(),
    audience: audience.describe('Audience rule: all / any / not over the vocabulary'),
    valueWeight: z
      .number({ error: 'expected a number' })
      .min(0, { error: 'expected a weight of 0 or more' })
      .optional()
      .describe('Multiplies the customer CLV to rank campaigns of equal priority (default 1)'),
    offer: offerSchema(),
  });
}

function campaignSchema(audience: z.ZodType) {
  return z.strictObject({
    $schema: z.string().optional(),
    id: slug('a campaign id'),
    name: text('a campaign name').max(200, { error: 'expected a name of at most 200 characters' }),
    description: z.string({ error: 'expected a description as text' }).optional(),
    owner: text('an owner (team or email)'),
    brand: text('a brand file path')
      .optional()
      .describe(
        'The brand theme file (e.g. ../brand.yaml), relative to the campaign file; needed by mjml bodies',
      ),
    status: z.enum(CAMPAIGN_STATUSES, { error: 'expected one of draft, active, paused' }),
    schedule: z.strictObject({
      start: isoDate.describe('First day the campaign may send (inclusive)'),
      end: isoDate.optional().describe('Last day the campaign may send (inclusive)'),
      daysOfWeek: z
        .array(
          z.enum(WEEKDAYS, { error: 'expected a day of the week: mon, tue, wed, thu, fri, sat or sun' }),
          {
            error: 'expected a list of days, e.g. [mon, wed, fri]',
          },
        )
        .min(1, { error: 'expected at least one day of the week' })
        .optional()
        .describe('Run days (UTC); all days when absent'),
    }),
    priority: z.int({ error: 'expected a whole number (higher wins)' }).describe('Higher wins'),
    holdoutPercent: z
      .number({ error: 'expected a percentage from 0 to 50' })
      .min(0, { error: 'expected a holdout percentage from 0 to 50' })
      .max(50, { error: 'expected a holdout percentage from 0 to 50' })
      .describe('Share of matching customers held out to measure uplift'),
    holdoutSalt: z
      .string({ error: 'expected text' })
      .optional()
      .describe('Changing it reshuffles the holdout'),
    frequencyCapDays: z
      .int({ error: 'expected a whole number of days' })
      .min(0, { error: 'expected 0 or more days' })
      .describe('Do not send this campaign to the same customer again within N days'),
    sendWindow: SendWindowSchema.optional(),
    attributionWindowDays: z
      .int({ error: 'expected a whole number of days from 1 to 365' })
      .min(1, { error: 'expected a whole number of days from 1 to 365' })
      .max(365, { error: 'expected a whole number of days from 1 to 365' })
      .optional()
      .describe(
        "Days after the run date in which an order counts for the decision (inclusive); the program's default (14) when absent",
      ),
    consentTopic: z
      .string({ error: 'expected a consent topic name' })
      .regex(TOPIC_RE, { error: 'expected a topic name of lower-case letters, digits, "-" and "_"' })
      .optional()
      .describe('The customer must have consent.topics[topic] true (besides email consent)'),
    segments: z
      .array(segmentSchema(audience), { error: 'expected a list of segments' })
      .min(1, { error: 'expected at least one segment' }),
  });
}

/** Validation schema: rules are opaque here and checked by rules.ts. */
export const CampaignFileSchema = campaignSchema(z.custom<AudienceRule>(() => true));
export type CampaignFile = z.infer<typeof CampaignFileSchema>;
export type OfferFile = CampaignFile['segments'][number]['offer'];

export interface CampaignOffer {
  subject: string;
  preheader?: string | undefined;
  /** The HTML template (inline, the content of htmlFile, or the MJML compiled at validation). */
  html: string;
  /** The text template (inline, the content of textFile, or derived from the HTML). */
  text: string;
  layout?: string | undefined;
  mjml?: string | undefined;
  mjmlFile?: string | undefined;
  htmlFile?: string | undefined;
  textFile?: string | undefined;
  code?: string | undefined;
  /** `YYYY-MM-DD` or `N days after send`. */
  expires?: string | undefined;
}

export interface CampaignSegment {
  id: string;
  description?: string | undefined;
  audience: AudienceRule;
  valueWeight?: number | undefined;
  offer: CampaignOffer;
}

/** A validated campaign, templates resolved. */
export interface Campaign {
  id: string;
  name: string;
  description?: string | undefined;
  owner: string;
  status: CampaignStatus;
  schedule: {
    start: IsoDate;
    end?: IsoDate | undefined;
    daysOfWeek?: Array<(typeof WEEKDAYS)[number]> | undefined;
  };
  priority: number;
  holdoutPercent: number;
  holdoutSalt?: string | undefined;
  frequencyCapDays: number;
  consentTopic?: string | undefined;
  /** The brand file path as written, and the validated theme (its sender and address sign the footer). */
  brand?: string | undefined;
  brandTheme?: Brand | undefined;
  /** Local-time window; absent → the program's default window. */
  sendWindow?: SendWindow | undefined;
  /** Days after the run date in which an order counts for a decision; absent → the program's default. */
  attributionWindowDays?: number | undefined;
  segments: CampaignSegment[];
  /** Content hash (16 hex digits of SHA-256 over the campaign); changes with any edit. */
  version: string;
}

// ---- the published JSON Schema -------------------------------------------------------------

function oneOrMany(item: z.ZodType) {
  return z.union([item, z.array(item).min(1)]);
}

function operandSchema(f: FieldSpec): z.ZodType {
  switch (f.type) {
    case 'number':
      return z.number();
    case 'string':
      return z.string();
    case 'date':
      return isoDate;
    case 'enum':
      return z.enum(f.values as [string, ...string[]]);
    case 'attribute':
      return z.union([z.string(), z.number(), z.boolean()]);
  }
}

function conditionSchema(f: FieldSpec): z.ZodType {
  const value = operandSchema(f);
  const ordered = f.type === 'attribute' ? z.number() : value;
  const shape: Record<string, z.ZodType> = {};
  for (const op of operatorsFor(f)) {
    switch (op) {
      case 'eq':
      case 'ne':
        shape[op] = value.optional();
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        shape[op] = ordered.optional();
        break;
      case 'between':
        shape[op] = z.tuple([ordered, ordered]).optional();
        break;
      case 'in':
      case 'not_in':
        shape[op] = z.array(value).min(1).optional();
        break;
      case 'contains':
        shape[op] = z.string().optional();
        break;
      case 'exists':
        shape[op] = z.boolean().optional();
        break;
      case 'more_than_days_ago':
      case 'within_last_days':
        shape[op] = z.int().min(0).optional();
        break;
    }
  }
  return z.union([value, z.array(value).min(1), z.strictObject(shape).meta({ minProperties: 1 })]);
}

function signalFilterSchema(kind: SignalFilterKind): z.ZodType {
  switch (kind) {
    case 'stage':
      return oneOrMany(z.enum(LIFE_STAGES as [string, ...string[]]));
    case 'tier':
      return oneOrMany(z.enum(CLV_TIERS as [string, ...string[]]));
    case 'direction':
      return z.enum(['up', 'down']);
    case 'days':
      return z.int().min(0);
    case 'int':
      return oneOrMany(z.int().min(0));
    case 'probability':
      return oneOrMany(z.number().min(0).max(1));
  }
}

function jsonRuleSchema(): z.ZodType {
  const shared = new Map<string, z.ZodType>();
  const condition = (f: FieldSpec): z.ZodType => {
    const key = f.type === 'enum' ? f.name : f.type;
    let schema = shared.get(key);
    if (!schema) {
      const id = `${key.replace(/(^|\.)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}Condition`;
      schema = conditionSchema(f).meta({ id });
      shared.set(key, schema);
    }
    return schema;
  };
  const rule: z.ZodType = z.lazy(() =>
    z.union([
      z.strictObject({ all: z.array(rule) }),
      z.strictObject({ any: z.array(rule) }),
      z.strictObject({ not: rule }),
      ...FIELDS.map((f) => z.strictObject({ [f.name]: condition(f) }).describe(f.description)),
      ...SIGNAL_TYPES.map((t) => {
        const filters: Record<string, z.ZodType> = {};
        for (const [key, kind] of Object.entries(SIGNAL_FILTERS[t]))
          filters[key] = signalFilterSchema(kind).optional();
        return z.strictObject({ [SIGNAL_PREFIX + t]: z.union([z.literal(true), z.strictObject(filters)]) });
      }),
      z
        .record(
          z.string().regex(/^attributes\..+$/),
          condition({
            name: 'attributes.*',
            type: 'attribute',
            group: 'profile',
            description: '',
            get: () => 0,
          }),
        )
        .meta({ minProperties: 1, maxProperties: 1 }),
    ]),
  );
  return rule.meta({ id: 'AudienceRule' });
}

/** The JSON Schema (draft 2020-12) of a campaign file. */
export function campaignJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(campaignSchema(jsonRuleSchema()), { target: 'draft-2020-12', io: 'input' });
  return {
    $schema: schema['$schema'],
    $id: 'https://github.com/retention-pipeline/retention-pipeline/docs/campaign.schema.json',
    title: 'Retention campaign',
    description:
      'One retention campaign: schedule, priority, holdout, caps and ordered segments with offers.',
    ...schema,
  };
}
