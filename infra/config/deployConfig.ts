import { z } from 'zod';

/**
 * The settings of one deployment stage, validated once at synth. Every value a deployment
 * depends on is here, so a wrong or missing one stops `cdk synth` with its name instead of
 * reaching a Lambda as NaN or as the example domain.
 */

const hostname = z
  .string()
  .regex(
    /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a lower-case DNS domain',
  );

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Domains reserved for documentation (RFC 2606): mail from them must never reach a real account. */
export function isExampleDomain(domain: string): boolean {
  return /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/.test(domain);
}

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653,
] as const;

export const DeployConfigSchema = z
  .object({
    /** Lower-case stage name; the stack is `RetentionPipeline-<stage>`. */
    stage: z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, 'must be 2-20 lower-case letters, digits or dashes'),
    /**
     * `local` stages exist for synth in CI, tests and the local runtime: they may use the example
     * domain and are pinned to the unreachable account 000000000000, so `cdk deploy` refuses them.
     */
    kind: z.enum(['local', 'deploy']),
    account: z.string().regex(/^\d{12}$/, 'must be the 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
    sender: z.object({
      /** The SES identity the stack creates (Easy DKIM) and the domain of the From address. */
      domain: hostname,
      email: z.string().email('must be an email address'),
      name: z.string().min(1, 'must not be empty').max(64),
      /** Sub-domain for the custom MAIL FROM (SPF alignment), e.g. `mail` → mail.<domain>. */
      mailFromSubdomain: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be one DNS label such as "mail"')
        .default('mail'),
    }),
    /** Physical postal address printed in every email (CAN-SPAM). */
    postalAddress: z.string().min(10, 'must be a full postal address'),
    /** Public base URL of the unsubscribe endpoint; unset: the stack's own Function URL. */
    unsubscribeBaseUrl: z.string().url('must be a URL').startsWith('https://', 'must use https').optional(),
    schedule: z.object({
      hour: z.number().int().min(0).max(23),
      minute: z.number().int().min(0).max(59).default(0),
      timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
    }),
    /** The account's SES maximum send rate (messages per second), shared by all sending segments. */
    maxSendRate: z.number().positive('must be > 0').max(10_000),
    /** Parallel scan segments of the nightly run. */
    totalSegments: z.number().int().min(1).max(10_000),
    caps: z
      .object({
        /** Days after any email during which a customer gets no other. */
        globalCapDays: z.number().int().min(0).max(365).default(7),
        /** Share of customers kept out of every campaign (global control group), 0-50 %. */
        globalControlPercent: z.number().min(0).max(50).default(0),
      })
      .default({ globalCapDays: 7, globalControlPercent: 0 }),
    retention: z
      .object({
        orderDays: z
          .number()
          .int()
          .min(30)
          .max(36_500)
          .default(3 * 365),
        ledgerDays: z
          .number()
          .int()
          .min(30)
          .max(36_500)
          .default(2 * 365),
        /** Run records and their progress (the per-night figures goals need are kept). */
        runDays: z.number().int().min(30).max(36_500).default(400),
        /** Raw SES events that could not be matched. */
        eventDays: z.number().int().min(1).max(36_500).default(30),
        logDays: z
          .number()
          .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
            message: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
          })
          .default(30),
      })
      .default({ orderDays: 3 * 365, ledgerDays: 2 * 365, runDays: 400, eventDays: 30, logDays: 30 }),
    /**
     * Salt of the erased-address hashes (ERASURE_SALT). Default: the stack's id, unique per deployment;
     * set it (and keep it) when the retained tables are ever moved to a new stack.
     */
    erasureSalt: z.string().min(16).optional(),
    /** Receives every alarm (SNS email subscription, confirmed once by mail). */
    alarmEmail: z.string().email('must be an email address'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.sender.email.toLowerCase().endsWith(`@${c.sender.domain}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sender', 'email'],
        message: `must be an address at sender.domain ${c.sender.domain} (DKIM and DMARC alignment)`,
      });
    }
    if (c.kind === 'local' && c.account !== LOCAL_ACCOUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['account'],
        message: `a local stage is pinned to ${LOCAL_ACCOUNT} so that it cannot be deployed`,
      });
    }
    if (c.kind === 'deploy') {
      if (c.account === LOCAL_ACCOUNT)
        ctx.addIssue({ code: 'custom', path: ['account'], message: 'set the AWS account to deploy to' });
      if (isExampleDomain(c.sender.domain))
        ctx.addIssue({
          code: 'custom',
          path: ['sender', 'domain'],
          message: `${c.sender.domain} is an example domain; set the domain you send from`,
        });
      if (isExampleDomain(c.alarmEmail.slice(c.alarmEmail.indexOf('@') + 1)))
        ctx.addIssue({ code: 'custom', path: ['alarmEmail'], message: 'set an address that someone reads' });
      if (c.unsubscribeBaseUrl && isExampleDomain(new URL(c.unsubscribeBaseUrl).hostname))
        ctx.addIssue({
          code: 'custom',
          path: ['unsubscribeBaseUrl'],
          message: 'is on an example domain; leave it unset to use the stack Function URL',
        });
    }
  });

/** The account a local stage is pinned to: no credentials match it, so `cdk deploy` stops. */
export const LOCAL_ACCOUNT = '000000000000';

export type DeployConfigInput = z.input<typeof DeployConfigSchema>;
export type DeployConfig = z.output<typeof DeployConfigSchema>;

export class DeployConfigError extends Error {
  override readonly name = 'DeployConfigError';
}

/** Validates a stage's settings; `source` names the file in the message (file: field: why). */
export function parseDeployConfig(raw: unknown, source: string): DeployConfig {
  const result = DeployConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.join('.') || '(root)';
    return `${source}: ${field}: ${issue.message}`;
  });
  throw new DeployConfigError(`Invalid deploy configuration:\n${lines.join('\n')}`);
}
