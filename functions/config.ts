import { z } from 'zod';
import { isTimeZone } from './domain/delivery/localTime.js';
import { MAX_SEND_MAP_CONCURRENCY } from './domain/delivery/sendPacing.js';
import { type SendWindow, sendWindowProblem } from './domain/delivery/sendWindow.js';

// The one place that reads the environment. Handlers parse it once at cold start and pass typed
// values to the domain; nothing below functions/domain ever sees process.env.

const positiveInt = z.coerce.number().int().positive();
const percent = z.coerce.number().min(0).max(50);

export const ConfigSchema = z.object({
  CUSTOMERS_TABLE: z.string().min(1),
  ORDERS_TABLE: z.string().min(1),
  CONFIG_TABLE: z.string().min(1),
  LEDGER_TABLE: z.string().min(1),
  SUPPRESSION_TABLE: z.string().min(1),
  SENDER_EMAIL: z.string().email(),
  SENDER_NAME: z.string().min(1).default('Retention Pipeline Demo Shop'),
  POSTAL_ADDRESS: z.string().min(10),
  /**
   * Base of the links in every email. Optional in the schema only because the unsubscribe function
   * is that URL and cannot be given its own address (a CloudFormation cycle); whatever sends reads
   * it through `unsubscribeBaseUrl(config)`.
   */
  UNSUBSCRIBE_BASE_URL: z.string().url().optional(),
  UNSUBSCRIBE_MAILTO: z.string().email().optional(),
  /** Either a local key file (JSON key ring) or a Secrets Manager secret holding one. */
  UNSUBSCRIBE_KEYS_FILE: z.string().optional(),
  UNSUBSCRIBE_KEYS_SECRET: z.string().optional(),
  /**
   * The topics the preference centre offers, `id=Label` separated by `;` (ids as campaigns'
   * consentTopic). A submitted topic outside this list is refused.
   */
  PREFERENCE_TOPICS: z
    .string()
    .default('offers=Offers and discounts;birthday=Birthday wishes')
    .transform((text, ctx) => {
      const topics: { id: string; label: string }[] = [];
      for (const entry of text
        .split(';')
        .map((e) => e.trim())
        .filter((e) => e !== '')) {
        const eq = entry.indexOf('=');
        const id = (eq < 0 ? entry : entry.slice(0, eq)).trim();
        const label = (eq < 0 ? id : entry.slice(eq + 1)).trim();
        if (!/^[A-Za-z0-9_-]{1,40}$/.test(id) || label === '' || topics.some((t) => t.id === id)) {
          ctx.addIssue({ code: 'custom', message: `bad or repeated topic entry "${entry}" (want id=Label)` });
          return z.NEVER;
        }
        topics.push({ id, label });
      }
      return topics;
    }),
  /** Days after an email that its link may still change preferences (unsubscribing always works). */
  PREFERENCE_LINK_MAX_AGE_DAYS: positiveInt.default(180),
  /**
   * Days an unsubscribe link keeps working after its email: the key that signed it stays in the
   * ring at least this long after it stopped signing (key rotation, docs/operations.md).
   */
  UNSUBSCRIBE_LINK_LIFETIME_DAYS: positiveInt.min(30).default(730),
  SES_CONFIGURATION_SET: z.string().optional(),
  MAX_SEND_RATE: z.coerce.number().positive().default(10),
  /**
   * The send Map's MaxConcurrency: each send segment takes MAX_SEND_RATE / SEND_CONCURRENCY. The
   * stack sets it from the very value the Map uses (`sendMapConcurrency`, sendPacing.ts).
   */
  SEND_CONCURRENCY: positiveInt
    .max(
      MAX_SEND_MAP_CONCURRENCY,
      `at most ${MAX_SEND_MAP_CONCURRENCY} (the send Map's largest MaxConcurrency)`,
    )
    .default(4),
  /** Guardrail: the bounce rate (fraction) above which sending pauses. */
  GUARDRAIL_BOUNCE_RATE: z.coerce.number().gt(0).max(1).default(0.04),
  /** Guardrail: the complaint rate (fraction) above which sending pauses. */
  GUARDRAIL_COMPLAINT_RATE: z.coerce.number().gt(0).max(1).default(0.0008),
  /** Guardrail: sends in the window below which rates are not judged (too few to mean anything). */
  GUARDRAIL_MIN_SENDS: positiveInt.default(500),
  /** Guardrail: the rolling window of the rates, in hours. */
  GUARDRAIL_WINDOW_HOURS: positiveInt.max(72).default(24),
  TOTAL_SEGMENTS: positiveInt.max(1_000_000).default(4),
  SCAN_PAGE_SIZE: positiveInt.max(1000).default(500),
  SCORING_SAMPLE_SIZE: positiveInt.default(200_000),
  HORIZON_DAYS: positiveInt.default(90),
  CLV_MONTHS: positiveInt.max(120).default(12),
  MONTHLY_DISCOUNT: z.coerce.number().min(0).max(1).default(0.01),
  GLOBAL_CAP_DAYS: z.coerce.number().int().min(0).default(7),
  GLOBAL_CONTROL_PERCENT: percent.default(0),
  HOLDOUT_SALT: z.string().default('retention-v1'),
  /**
   * Salt of the hashed address an erasure (`retention forget`) leaves in the suppression table. Set
   * one per deployment and never change it: a changed salt no longer recognises erased addresses.
   */
  ERASURE_SALT: z.string().min(8).default('retention-erasure-v1'),
  ORDER_RETENTION_DAYS: positiveInt.default(3 * 365),
  LEDGER_RETENTION_DAYS: positiveInt.default(2 * 365),
  /**
   * Days after a decision's run date in which an order counts for it (docs/measurement.md,
   * "Attribution"); a campaign may set its own `attributionWindowDays`.
   */
  ATTRIBUTION_WINDOW_DAYS: positiveInt.max(365).default(14),
  /**
   * Run records and their per-segment progress expire this long after the night (DynamoDB TTL).
   * The figures goals and the stage flow need are kept per night without expiry (RunStore.keepFigures).
   */
  RUN_RETENTION_DAYS: positiveInt.default(400),
  /** Raw SES events that could not be matched (parked for inspection) expire after this many days. */
  EVENT_RETENTION_DAYS: positiveInt.default(30),
  /** The zone of customers whose profile has none (or an unknown one), IANA. */
  DEFAULT_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine(isTimeZone, { error: 'not a known IANA time zone, e.g. Europe/Berlin' }),
  /** The program's local-time send window, `HH:MM-HH:MM`, for campaigns that set none. */
  SEND_WINDOW: z
    .string()
    .default('09:00-11:00')
    .transform((text, ctx): SendWindow => {
      const [start = '', end = ''] = text.split('-').map((t) => t.trim());
      const problem = sendWindowProblem({ start, end });
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `"${text}": ${problem} (want HH:MM-HH:MM)` });
        return z.NEVER;
      }
      return { start, end };
    }),
  /**
   * The clock the night plans its send waves by and sends on: `system` (AWS, and a local run that
   * really waits for the windows) or `simulated` (the local default: each wave is sent at once and
   * every email carries its scheduled moment; see docs/delivery.md).
   */
  SEND_CLOCK: z.enum(['system', 'simulated']).default('system'),
  /** Simulated clock only: the instant the night starts at (default: 02:00 UTC on the run date). */
  SIMULATED_NOW: z.iso.datetime({ offset: true }).optional(),
  /** Simulated clock only: the real epoch ms at which it read SIMULATED_NOW; it moves on from there. */
  SIMULATED_SINCE_MS: z.coerce.number().int().nonnegative().optional(),
  /** Milliseconds kept in reserve before the Lambda timeout to save a resume point. */
  DEADLINE_RESERVE_MS: positiveInt.default(20_000),
});

export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${details}`);
  }
  return result.data;
}

/** What the key rotation function reads: only the link lifetimes, nothing of the tables or SES. */
export function loadRotationConfig(env: Record<string, string | undefined>) {
  const schema = ConfigSchema.pick({
    PREFERENCE_LINK_MAX_AGE_DAYS: true,
    UNSUBSCRIBE_LINK_LIFETIME_DAYS: true,
  });
  const result = schema.safeParse(env);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${details}`);
  }
  return result.data;
}

/** The unsubscribe base URL, required wherever an email or preview is built. */
export function unsubscribeBaseUrl(config: Pick<Config, 'UNSUBSCRIBE_BASE_URL'>): string {
  if (!config.UNSUBSCRIBE_BASE_URL) {
    throw new Error('Invalid configuration: UNSUBSCRIBE_BASE_URL: required to build unsubscribe links');
  }
  return config.UNSUBSCRIBE_BASE_URL;
}
