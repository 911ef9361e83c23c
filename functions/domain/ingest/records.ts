import { z } from 'zod';

// The shape of one imported row, validated at the edge. CSV rows arrive as strings, JSON Lines
// rows as typed values: both go through the same schemas.

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'not a real calendar date');

const customerId = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'only letters, digits and . _ : - are allowed');

const boolish = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => ['true', 'false', 'yes', 'no', '1', '0', ''].includes(s), 'expected true/false')
    .transform((s) => s === 'true' || s === 'yes' || s === '1'),
]);

const optionalText = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((s) => (s === '' ? undefined : s));

export const CustomerRowSchema = z
  .object({
    customer_id: customerId,
    email: z.string().trim().min(3, 'must be an email address').max(254),
    first_name: optionalText,
    last_name: optionalText,
    country: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'expected a two-letter ISO country code')
      .transform((s) => s.toUpperCase()),
    language: z
      .string()
      .trim()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a language tag such as en or de-AT'),
    time_zone: z
      .string()
      .trim()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'not a known IANA time zone'),
    birth_date: z.union([isoDate, z.literal('')]).optional(),
    signup_date: isoDate,
    email_consent: boolish,
    consent_topics: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((v) =>
        (Array.isArray(v) ? v : (v ?? '').split(/[;|]/)).map((t) => t.trim()).filter((t) => t.length > 0),
      ),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean()]));

export type CustomerRow = z.output<typeof CustomerRowSchema>;

const amount = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a number such as 19.99')
    .transform(Number),
]);

export const OrderRowSchema = z.object({
  order_id: customerId,
  customer_id: customerId,
  date: isoDate,
  amount: amount.pipe(z.number().nonnegative('must not be negative').max(10_000_000, 'implausibly large')),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Z]{3}$/, 'expected a three-letter ISO currency code such as EUR')
    .optional()
    .default('EUR'),
});

export type OrderRow = z.output<typeof OrderRowSchema>;

export const CUSTOMER_COLUMNS = Object.keys(CustomerRowSchema.shape);
export const ORDER_COLUMNS = Object.keys(OrderRowSchema.shape);
