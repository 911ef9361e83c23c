// The documented vocabulary of audience rules and templates. docs/campaigns.md mirrors this table;
// test/functions/domain/campaigns/vocabulary.test.ts keeps the two in step.
import {
  type ClvTier,
  type CustomerProfile,
  type CustomerScores,
  type IsoDate,
  LIFE_STAGES,
  type LifeStage,
  type PurchaseAggregates,
  type RfmGroup,
  type Signal,
  type SignalType,
} from '../types.js';
import { epochDay } from './dates.js';

/** Everything a rule can look at for one customer on one run. */
export interface AudienceSubject {
  profile: CustomerProfile;
  aggregates: PurchaseAggregates;
  /** null when the customer could not be scored (e.g. a prospect without orders). */
  scores: CustomerScores | null;
  /** Tonight's life stage; known even when the customer could not be scored (a prospect, say). */
  lifeStage?: LifeStage | null | undefined;
  previousLifeStage: LifeStage | null;
  signals: Signal[];
  runDate: IsoDate;
}

export type FieldType = 'number' | 'string' | 'date' | 'enum' | 'attribute';

export const CLV_TIERS: readonly ClvTier[] = ['low', 'medium', 'high', 'top'];
export const RFM_GROUPS: readonly RfmGroup[] = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New',
  'Promising',
  'Need Attention',
  'About To Sleep',
  'At Risk',
  "Can't Lose Them",
  'Hibernating',
  'Lost',
];

export interface FieldSpec {
  name: string;
  type: FieldType;
  group: 'profile' | 'purchases' | 'scores' | 'life stage';
  description: string;
  /** Allowed values of an enum field. */
  values?: readonly string[];
  /** Enum values are ordered (lowest first), so lt/lte/gt/gte/between apply. */
  ordered?: boolean;
  /** Extra check of a literal operand; returns a problem in plain words. */
  checkValue?: (value: string | number) => string | undefined;
  /** Reads the value; undefined means the customer has no value for this field. */
  get: (s: AudienceSubject) => string | number | boolean | undefined;
}

const daysSince = (date: IsoDate | undefined, runDate: IsoDate): number | undefined =>
  date === undefined ? undefined : epochDay(runDate) - epochDay(date);

const countryCheck = (v: string | number) =>
  typeof v === 'string' && !/^[A-Z]{2}$/.test(v)
    ? `a country is an upper-case ISO 3166-1 alpha-2 code such as "DE", found "${v}"`
    : undefined;

export const FIELDS: readonly FieldSpec[] = [
  {
    name: 'country',
    type: 'string',
    group: 'profile',
    description: 'ISO 3166-1 alpha-2 code, upper case (`DE`)',
    checkValue: countryCheck,
    get: (s) => s.profile.country,
  },
  {
    name: 'language',
    type: 'string',
    group: 'profile',
    description: 'BCP 47 tag (`en`, `de-AT`)',
    get: (s) => s.profile.language,
  },
  {
    name: 'timeZone',
    type: 'string',
    group: 'profile',
    description: 'IANA time zone (`Europe/Berlin`)',
    get: (s) => s.profile.timeZone,
  },
  {
    name: 'birthDate',
    type: 'date',
    group: 'profile',
    description: 'date of birth, when known',
    get: (s) => s.profile.birthDate,
  },
  {
    name: 'signupDate',
    type: 'date',
    group: 'profile',
    description: 'date the customer signed up',
    get: (s) => s.profile.signupDate,
  },
  {
    name: 'daysSinceSignup',
    type: 'number',
    group: 'profile',
    description: 'whole days from signup to the run date',
    get: (s) => daysSince(s.profile.signupDate, s.runDate),
  },
  {
    name: 'orderCount',
    type: 'number',
    group: 'purchases',
    description: 'number of orders',
    get: (s) => s.aggregates.orderCount,
  },
  {
    name: 'purchaseDays',
    type: 'number',
    group: 'purchases',
    description: 'number of distinct days with an order',
    get: (s) => s.aggregates.purchaseDays,
  },
  {
    name: 'totalSpent',
    type: 'number',
    group: 'purchases',
    description: 'total amount spent, in the customer currency',
    get: (s) => s.aggregates.totalSpent,
  },
  {
    name: 'averageOrderValue',
    type: 'number',
    group: 'purchases',
    description: 'totalSpent / orderCount (no value without orders)',
    get: (s) => (s.aggregates.orderCount > 0 ? s.aggregates.totalSpent / s.aggregates.orderCount : undefined),
  },
  {
    name: 'currency',
    type: 'string',
    group: 'purchases',
    description: 'ISO 4217 currency of the amounts (`EUR`)',
    get: (s) => s.aggregates.currency,
  },
  {
    name: 'firstOrderDate',
    type: 'date',
    group: 'purchases',
    description: 'date of the first order',
    get: (s) => s.aggregates.firstOrderDate,
  },
  {
    name: 'lastOrderDate',
    type: 'date',
    group: 'purchases',
    description: 'date of the last order',
    get: (s) => s.aggregates.lastOrderDate,
  },
  {
    name: 'daysSinceFirstOrder',
    type: 'number',
    group: 'purchases',
    description: 'whole days from the first order to the run date',
    get: (s) => daysSince(s.aggregates.firstOrderDate, s.runDate),
  },
  {
    name: 'daysSinceLastOrder',
    type: 'number',
    group: 'purchases',
    description: 'whole days from the last order to the run date',
    get: (s) => daysSince(s.aggregates.lastOrderDate, s.runDate),
  },
  {
    name: 'pAlive',
    type: 'number',
    group: 'scores',
    description: 'probability the customer is still active, 0–1',
    get: (s) => s.scores?.pAlive,
  },
  {
    name: 'expectedPurchases',
    type: 'number',
    group: 'scores',
    description: 'expected purchases over the model horizon',
    get: (s) => s.scores?.expectedPurchases,
  },
  {
    name: 'expectedAvgValue',
    type: 'number',
    group: 'scores',
    description: 'expected average order value (Gamma-Gamma)',
    get: (s) => s.scores?.expectedAvgValue,
  },
  {
    name: 'clv',
    type: 'number',
    group: 'scores',
    description: 'customer lifetime value over the model horizon',
    get: (s) => s.scores?.clv,
  },
  {
    name: 'clvTier',
    type: 'enum',
    group: 'scores',
    description: 'CLV tier, ordered low < medium < high < top',
    values: CLV_TIERS,
    ordered: true,
    get: (s) => s.scores?.clvTier,
  },
  {
    name: 'rfm.r',
    type: 'number',
    group: 'scores',
    description: 'recency score 1–5 (5 = most recent)',
    get: (s) => s.scores?.rfm.r,
  },
  {
    name: 'rfm.f',
    type: 'number',
    group: 'scores',
    description: 'frequency score 1–5',
    get: (s) => s.scores?.rfm.f,
  },
  {
    name: 'rfm.m',
    type: 'number',
    group: 'scores',
    description: 'monetary score 1–5',
    get: (s) => s.scores?.rfm.m,
  },
  {
    name: 'rfm.group',
    type: 'enum',
    group: 'scores',
    description: 'RFM segment name',
    values: RFM_GROUPS,
    get: (s) => s.scores?.rfm.group,
  },
  {
    name: 'lifeStage',
    type: 'enum',
    group: 'life stage',
    description: 'life stage tonight',
    values: LIFE_STAGES,
    get: (s) => s.lifeStage ?? s.scores?.lifeStage,
  },
  {
    name: 'previousLifeStage',
    type: 'enum',
    group: 'life stage',
    description: 'life stage on the previous night',
    values: LIFE_STAGES,
    get: (s) => s.previousLifeStage ?? undefined,
  },
];

export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.name, f]));
export const ATTRIBUTE_PREFIX = 'attributes.';

/** The spec of a field name, including `attributes.<name>`; undefined when unknown. */
export function fieldSpec(name: string): FieldSpec | undefined {
  const known = FIELD_BY_NAME.get(name);
  if (known) return known;
  if (name.startsWith(ATTRIBUTE_PREFIX) && name.length > ATTRIBUTE_PREFIX.length) {
    const attr = name.slice(ATTRIBUTE_PREFIX.length);
    return {
      name,
      type: 'attribute',
      group: 'profile',
      description: 'custom attribute',
      get: (s) => s.profile.attributes[attr],
    };
  }
  return undefined;
}

export type Operator =
  | 'eq'
  | 'ne'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'between'
  | 'in'
  | 'not_in'
  | 'contains'
  | 'exists'
  | 'more_than_days_ago'
  | 'within_last_days';

export const ALL_OPERATORS: readonly Operator[] = [
  'eq',
  'ne',
  'lt',
  'lte',
  'gt',
  'gte',
  'between',
  'in',
  'not_in',
  'contains',
  'exists',
  'more_than_days_ago',
  'within_last_days',
];

export function operatorsFor(spec: FieldSpec): readonly Operator[] {
  switch (spec.type) {
    case 'number':
      return ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in', 'exists'];
    case 'string':
      return ['eq', 'ne', 'in', 'not_in', 'contains', 'exists'];
    case 'date':
      return [
        'eq',
        'ne',
        'lt',
        'lte',
        'gt',
        'gte',
        'between',
        'exists',
        'more_than_days_ago',
        'within_last_days',
      ];
    case 'enum':
      return spec.ordered
        ? ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in', 'exists']
        : ['eq', 'ne', 'in', 'not_in', 'exists'];
    case 'attribute':
      return ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in', 'contains', 'exists'];
  }
}

// ---- signals ---------------------------------------------------------------------------------

/** Filter keys accepted by each `signal.<type>` condition, with their operand kind. */
export type SignalFilterKind = 'stage' | 'tier' | 'direction' | 'days' | 'int' | 'probability';

export const SIGNAL_FILTERS: Readonly<Record<SignalType, Readonly<Record<string, SignalFilterKind>>>> = {
  stage_changed: { from: 'stage', to: 'stage' },
  p_alive_below: { threshold: 'probability' },
  clv_tier_changed: { from: 'tier', to: 'tier', direction: 'direction' },
  birthday: { within_days: 'days' },
  signup_anniversary: { years: 'int', within_days: 'days' },
  first_order_anniversary: { years: 'int', within_days: 'days' },
  tenure_milestone: { days: 'int' },
};

export const SIGNAL_DESCRIPTIONS: Readonly<Record<SignalType, string>> = {
  stage_changed: 'life stage changed since the previous night; `from` / `to` a stage or a list of stages',
  p_alive_below: 'pAlive fell below a configured threshold tonight; `threshold` a number or list',
  clv_tier_changed: 'CLV tier changed; `from` / `to` a tier or list, `direction` up or down',
  birthday: 'birthday coming up; `within_days` N matches when the birthday is at most N days away',
  signup_anniversary: 'signup anniversary; `years` a number or list, `within_days` N',
  first_order_anniversary: 'first-order anniversary; `years` a number or list, `within_days` N',
  tenure_milestone: 'tenure milestone reached; `days` a number or list (e.g. 100, 365)',
};

export const SIGNAL_PREFIX = 'signal.';
export const SIGNAL_TYPES = Object.keys(SIGNAL_FILTERS) as SignalType[];

/** Every key that can start a condition, for suggestions. */
export function conditionKeys(): string[] {
  return [
    ...FIELDS.map((f) => f.name),
    ...SIGNAL_TYPES.map((t) => SIGNAL_PREFIX + t),
    'attributes.<name>',
    'all',
    'any',
    'not',
  ];
}

// ---- templates -------------------------------------------------------------------------------

/** A leaf value, or a group of named children; `'*'` means any child name (custom attributes). */
export type TemplateVocabulary = { readonly [name: string]: TemplateVocabulary | string };

/** Variables a template may use; the string is the description shown in docs/campaigns.md. */
export const TEMPLATE_VARIABLES: TemplateVocabulary = {
  customer: {
    id: 'customer id',
    firstName: 'first name, null when unknown (use `| default: "there"`)',
    lastName: 'last name, null when unknown',
    email: 'email address',
    country: 'ISO country code',
    language: 'BCP 47 language tag',
    birthDate: 'birth date (YYYY-MM-DD) or null',
    signupDate: 'signup date (YYYY-MM-DD)',
    attributes: { '*': 'custom attribute `customer.attributes.<name>`, null when missing' },
  },
  purchases: {
    orderCount: 'number of orders',
    totalSpent: 'total spent',
    currency: 'ISO 4217 currency',
    firstOrderDate: 'first order date or null',
    lastOrderDate: 'last order date or null',
    daysSinceLastOrder: 'days since the last order or null',
  },
  scores: {
    pAlive: 'P(alive), null when not scored',
    expectedPurchases: 'expected purchases, null when not scored',
    expectedAvgValue: 'expected average order value, null when not scored',
    clv: 'CLV, null when not scored',
    clvTier: 'CLV tier, null when not scored',
    lifeStage: 'life stage, null when not scored',
    rfmGroup: 'RFM group, null when not scored',
  },
  offer: {
    code: 'the segment offer code',
    expiresOn: 'offer expiry date (YYYY-MM-DD)',
  },
  campaign: { id: 'campaign id', name: 'campaign name' },
  segment: { id: 'segment id' },
  today: 'the run date (YYYY-MM-DD)',
};

/** Properties Liquid provides on any value. */
export const LIQUID_BUILTIN_PROPERTIES = new Set(['size', 'first', 'last']);
