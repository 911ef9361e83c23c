/**
 * A customer's own choices from the preference centre, and how the night applies them. Pure.
 *
 * Stored on the customer item as `preferences`, beside (never inside) the imported profile: a profile
 * import rewrites `profile` and must not undo what the customer chose. Every change carries its time
 * and source in `history`, written in the same conditional update as the new state (no transactions
 * on dynalite, so the state and its audit are one item and one write).
 */
import { z } from 'zod';
import { addDays, isoDateSchema } from '../night/dates.js';
import type { Consent, IsoDate } from '../types.js';

/** "At most one email a week" / "a month": the customer's own cap on retention emails. */
export const FREQUENCY_CAP_DAYS = { weekly: 7, monthly: 30 } as const;
export type Frequency = keyof typeof FREQUENCY_CAP_DAYS;
export const PAUSE_DAYS = 30;
/** Entries kept in the item's history; older ones drop off so the item stays far below 400 KB. */
export const PREFERENCE_HISTORY_LIMIT = 50;

export const TOPIC_ID_RE = /^[A-Za-z0-9_-]{1,40}$/;

const ChangeSchema = z.object({
  field: z.string(),
  from: z.union([z.string(), z.boolean(), z.null()]),
  to: z.union([z.string(), z.boolean(), z.null()]),
});

export const PreferenceHistoryEntrySchema = z.object({
  /** `<customerId>#<version>`: one change per version, so a retried write cannot record it twice. */
  changeId: z.string(),
  at: z.string(),
  source: z.string(),
  changes: z.array(ChangeSchema),
});

export const CustomerPreferencesSchema = z.object({
  version: z.number().int().nonnegative(),
  topics: z.record(z.string().regex(TOPIC_ID_RE), z.boolean()),
  frequency: z.enum(['weekly', 'monthly']).optional(),
  pausedUntil: isoDateSchema.optional(),
  updatedAt: z.string(),
  history: z.array(PreferenceHistoryEntrySchema),
});

export type PreferenceHistoryEntry = z.infer<typeof PreferenceHistoryEntrySchema>;
export type CustomerPreferences = z.infer<typeof CustomerPreferencesSchema>;

/** What one submission of the preference centre asks for; absent fields stay as they are. */
export interface PreferenceChange {
  topics?: Record<string, boolean>;
  /** `default` drops the customer's own cap: the shop's caps alone apply. */
  frequency?: Frequency | 'default';
  /** true: pause for PAUSE_DAYS from today (an active pause is kept, not extended); false: resume. */
  pause?: boolean;
}

export const emptyPreferences = (): CustomerPreferences => ({
  version: 0,
  topics: {},
  updatedAt: '',
  history: [],
});

/** Whether a pause is in force on `day`: the pause ends at the start of `pausedUntil`. */
export function isPaused(prefs: Pick<CustomerPreferences, 'pausedUntil'> | undefined, day: IsoDate): boolean {
  return prefs?.pausedUntil !== undefined && day < prefs.pausedUntil;
}

/**
 * The new state after `change`, with its history entry, or undefined when it changes nothing (a form
 * submitted twice records one change). A topic is compared with what the customer has now, the
 * imported consent under their earlier choices, so confirming an imported consent records nothing.
 */
export function applyPreferenceChange(
  customerId: string,
  current: CustomerPreferences | undefined,
  change: PreferenceChange,
  at: Date,
  source: string,
  importedTopics: Readonly<Record<string, boolean>> = {},
): { next: CustomerPreferences; entry: PreferenceHistoryEntry } | undefined {
  const base = current ?? emptyPreferences();
  const today = at.toISOString().slice(0, 10);
  const changes: PreferenceHistoryEntry['changes'] = [];
  const topics = { ...base.topics };
  for (const [topic, on] of Object.entries(change.topics ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const now = topics[topic] ?? importedTopics[topic] === true;
    if (now === on) continue;
    changes.push({ field: `topics.${topic}`, from: now, to: on });
    topics[topic] = on;
  }
  let frequency = base.frequency;
  if (change.frequency !== undefined) {
    const wanted = change.frequency === 'default' ? undefined : change.frequency;
    if (wanted !== frequency) {
      changes.push({ field: 'frequency', from: frequency ?? null, to: wanted ?? null });
      frequency = wanted;
    }
  }
  let pausedUntil = isPaused(base, today) ? base.pausedUntil : undefined;
  if (change.pause === true && pausedUntil === undefined) {
    pausedUntil = addDays(today, PAUSE_DAYS);
    changes.push({ field: 'pausedUntil', from: base.pausedUntil ?? null, to: pausedUntil });
  } else if (change.pause === false && pausedUntil !== undefined) {
    changes.push({ field: 'pausedUntil', from: pausedUntil, to: null });
    pausedUntil = undefined;
  }
  if (changes.length === 0) return undefined;
  const version = base.version + 1;
  const entry: PreferenceHistoryEntry = {
    changeId: `${customerId}#${version}`,
    at: at.toISOString(),
    source,
    changes,
  };
  const next: CustomerPreferences = {
    version,
    topics,
    ...(frequency ? { frequency } : {}),
    ...(pausedUntil ? { pausedUntil } : {}),
    updatedAt: entry.at,
    history: [...base.history, entry].slice(-PREFERENCE_HISTORY_LIMIT),
  };
  return { next, entry };
}

/** What the night applies of the stored preferences. */
export interface NightPreferences {
  consent: Consent;
  /** The larger of the shop's global cap and the customer's own. */
  globalCapDays: number;
  pausedUntil?: IsoDate;
}

/**
 * The customer's consent and caps as tonight's decision must see them. Topic choices made in the
 * centre override the imported consent; a stored value that does not parse withholds email altogether
 * (never mail someone whose opt-out cannot be read).
 */
export function nightPreferences(
  consent: Consent,
  stored: unknown,
  shopGlobalCapDays: number,
): NightPreferences {
  if (stored === undefined || stored === null) return { consent, globalCapDays: shopGlobalCapDays };
  const parsed = CustomerPreferencesSchema.safeParse(stored);
  if (!parsed.success) return { consent: { ...consent, email: false }, globalCapDays: shopGlobalCapDays };
  const prefs = parsed.data;
  const own = prefs.frequency ? FREQUENCY_CAP_DAYS[prefs.frequency] : 0;
  return {
    consent: { email: consent.email, topics: { ...consent.topics, ...prefs.topics } },
    globalCapDays: Math.max(shopGlobalCapDays, own),
    ...(prefs.pausedUntil ? { pausedUntil: prefs.pausedUntil } : {}),
  };
}
