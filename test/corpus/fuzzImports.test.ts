import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ImportFormat, parseRows } from '../../functions/domain/ingest/parseRows.js';
import { CustomerRowSchema, OrderRowSchema } from '../../functions/domain/ingest/records.js';

// Property-based fuzzing of the importers: random files of random rows (valid values, near misses
// and hostile text: quotes, commas, line breaks, formulas, non-ASCII) are either accepted whole, with
// every value read back as written, or refused with problems that each name a line of the file.

const CUSTOMER_REQUIRED = [
  'customer_id',
  'email',
  'country',
  'language',
  'time_zone',
  'signup_date',
  'email_consent',
];
const ORDER_REQUIRED = ['order_id', 'customer_id', 'date', 'amount'];

const hostileText = fc.constantFrom(
  '=HYPERLINK("http://evil.example","x")',
  '"quoted", with comma',
  'line\nbreak',
  'Zoë Ørsted',
  '  padded  ',
  '<b>bold</b>',
  '',
  '\u202eevil',
);
const id = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/) },
  { weight: 1, arbitrary: hostileText },
);
const date = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .date({ min: new Date('1950-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
  },
  { weight: 1, arbitrary: fc.constantFrom('2025-02-30', '01/02/2025', '2025-1-1', '', 'yesterday') },
);
const customerRow = fc.record({
  customer_id: id,
  email: fc.oneof(fc.emailAddress(), hostileText),
  first_name: fc.oneof(fc.string({ maxLength: 12 }), hostileText),
  last_name: fc.oneof(fc.string({ maxLength: 12 }), hostileText),
  country: fc.constantFrom('DE', 'us', 'GB', 'GBR', ''),
  language: fc.constantFrom('en', 'de-AT', 'english', ''),
  time_zone: fc.constantFrom('Europe/Berlin', 'Etc/UTC', 'Mars/Base', ''),
  birth_date: date,
  signup_date: date,
  email_consent: fc.constantFrom('true', 'false', 'yes', 'no', '1', '0', 'maybe'),
  consent_topics: fc.constantFrom('offers', 'offers;birthday', '', 'offers|news'),
});
/** Only valid values: files of these must be accepted, so the read-back checks run often. */
const validCustomerRow = fc.record({
  customer_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/),
  email: fc.emailAddress(),
  first_name: fc.string({ maxLength: 12 }),
  last_name: fc.constantFrom('Lee', 'Ørsted', '=SUM(A1)', '"Q", R', 'a\nb'),
  country: fc.constantFrom('DE', 'us', 'GB'),
  language: fc.constantFrom('en', 'de-AT'),
  time_zone: fc.constantFrom('Europe/Berlin', 'Etc/UTC'),
  birth_date: fc.constantFrom('', '1990-05-01'),
  signup_date: fc.constantFrom('2024-02-29', '2025-01-01'),
  email_consent: fc.constantFrom('true', 'false', 'yes', 'no', '1', '0'),
  consent_topics: fc.constantFrom('offers', 'offers;birthday', ''),
});
const orderRow = fc.record({
  order_id: id,
  customer_id: id,
  date,
  amount: fc.oneof(
    { weight: 5, arbitrary: fc.double({ min: 0, max: 100_000, noNaN: true }).map((n) => n.toFixed(2)) },
    { weight: 1, arbitrary: fc.constantFrom('-1', '1e3', '12,50', 'NaN', '', '99999999999') },
  ),
  currency: fc.constantFrom('EUR', 'USD', 'eur', 'EURO'),
});

/** The 1-based lines of a file that hold each record, from the CSV text as written. */
function fileLines(text: string): number {
  return text.split('\n').length;
}

function checkProblems(text: string, problems: readonly { line: number; message: string }[]) {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.line).toBeLessThanOrEqual(fileLines(text));
    expect(p.message.trim()).not.toBe('');
  }
}

function fileOf(rows: Record<string, string>[], format: ImportFormat): string {
  if (format === 'jsonl') return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  return stringify(rows, { header: true, columns: Object.keys(rows[0]!) });
}

describe('fuzz: importers', () => {
  it('customers: accepted whole with values read back as written, or refused line by line', () => {
    fc.assert(
      fc.property(
        fc.array(customerRow, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<ImportFormat>('csv', 'jsonl'),
        (rows, format) => {
          const text = fileOf(rows, format);
          const parsed = parseRows(text, format, CustomerRowSchema, CUSTOMER_REQUIRED);
          if (!parsed.ok) return checkProblems(text, parsed.problems);
          expect(parsed.rows).toHaveLength(rows.length);
          parsed.rows.forEach((r, i) => {
            const w = rows[i]!;
            expect(r.value.customer_id).toBe(w.customer_id.trim());
            expect(r.value.email).toBe(w.email.trim());
            expect(r.value.first_name).toBe(w.first_name.trim() === '' ? undefined : w.first_name.trim());
            expect(r.value.country).toBe(w.country.trim().toUpperCase());
            expect(r.value.signup_date).toBe(w.signup_date);
            expect(r.value.email_consent).toBe(['true', 'yes', '1'].includes(w.email_consent));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('JSON Lines: exactly the lines whose row is invalid are reported', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(customerRow, validCustomerRow), { minLength: 1, maxLength: 8 }),
        (rows) => {
          const text = fileOf(rows, 'jsonl');
          const parsed = parseRows(text, 'jsonl', CustomerRowSchema, CUSTOMER_REQUIRED);
          const bad = rows.flatMap((r, i) => (CustomerRowSchema.safeParse(r).success ? [] : [i + 1]));
          if (parsed.ok) expect(bad).toEqual([]);
          else expect([...new Set(parsed.problems.map((p) => p.line))]).toEqual(bad);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('orders: accepted whole with amounts read back exactly, or refused line by line', () => {
    fc.assert(
      fc.property(
        fc.array(orderRow, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<ImportFormat>('csv', 'jsonl'),
        (rows, format) => {
          const text = fileOf(rows, format);
          const parsed = parseRows(text, format, OrderRowSchema, ORDER_REQUIRED);
          if (!parsed.ok) return checkProblems(text, parsed.problems);
          parsed.rows.forEach((r, i) => {
            const w = rows[i]!;
            expect(r.value.order_id).toBe(w.order_id.trim());
            expect(r.value.amount).toBe(Number(w.amount));
            expect(r.value.amount).toBeGreaterThanOrEqual(0);
            expect(r.value.currency).toBe(w.currency);
            expect(r.value.date).toBe(w.date);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('raw text (not even CSV) is refused with a line, never thrown', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom<ImportFormat>('csv', 'jsonl'),
        (text, format) => {
          const parsed = parseRows(
            `order_id,customer_id,date,amount\n${text}`,
            format,
            OrderRowSchema,
            ORDER_REQUIRED,
          );
          if (!parsed.ok) checkProblems(`order_id,customer_id,date,amount\n${text}`, parsed.problems);
        },
      ),
      { numRuns: 300 },
    );
  });
});
