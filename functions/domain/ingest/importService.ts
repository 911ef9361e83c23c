import { type AttributionPort, attributeOrder } from '../measurement/attribution.js';
import type { CustomerProfile } from '../types.js';
import { formatFromName, parseRows, type RowProblem } from './parseRows.js';
import {
  CUSTOMER_COLUMNS,
  type CustomerRow,
  CustomerRowSchema,
  type OrderRow,
  OrderRowSchema,
} from './records.js';

/** Customers imported at once (each customer's own orders stay sequential). */
const IMPORT_CONCURRENCY = 16;

const REQUIRED_CUSTOMER_COLUMNS = CUSTOMER_COLUMNS.filter(
  (c) => !['first_name', 'last_name', 'birth_date', 'consent_topics'].includes(c),
);
const REQUIRED_ORDER_COLUMNS = ['order_id', 'customer_id', 'date', 'amount'];

/** What an import needs from storage: a small port, implemented on DynamoDB by CustomerStore. */
export interface IngestPort {
  upsertProfile(profile: CustomerProfile, currency?: string): Promise<void>;
  existingCustomerIds(ids: readonly string[]): Promise<Set<string>>;
  existingOrders(
    keys: readonly { customerId: string; orderId: string }[],
  ): Promise<Map<string, { date: string; amount: number; currency: string }>>;
  applyOrder(order: {
    customerId: string;
    orderId: string;
    date: string;
    amount: number;
    currency: string;
    expiresAt: number;
  }): Promise<'applied' | 'duplicate' | 'conflict'>;
}

export interface ImportReport {
  ok: boolean;
  file: string;
  rows: number;
  written: number;
  unchanged: number;
  problems: RowProblem[];
  /** Orders newly attributed to a decision by this import (orders only, when attribution is on). */
  attributed?: number;
}

const KNOWN = new Set(CUSTOMER_COLUMNS);

export function profileFromRow(row: CustomerRow): CustomerProfile {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(row)) {
    if (!KNOWN.has(k) && v !== '' && v !== undefined) attributes[k] = v as string | number | boolean;
  }
  const topics: Record<string, boolean> = {};
  for (const t of row.consent_topics) topics[t] = true;
  return {
    customerId: row.customer_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    country: row.country,
    language: row.language,
    timeZone: row.time_zone,
    birthDate: row.birth_date === '' ? undefined : row.birth_date,
    signupDate: row.signup_date,
    consent: { email: row.email_consent, topics },
    attributes,
  };
}

function duplicates<T>(
  rows: { line: number; value: T }[],
  key: (v: T) => string,
  same: (a: T, b: T) => boolean,
  what: string,
): RowProblem[] {
  const seen = new Map<string, { line: number; value: T }>();
  const problems: RowProblem[] = [];
  for (const r of rows) {
    const k = key(r.value);
    const first = seen.get(k);
    if (!first) seen.set(k, r);
    else if (!same(first.value, r.value))
      problems.push({
        line: r.line,
        message: `${what} ${k} appears again with different values (first on line ${first.line})`,
      });
  }
  return problems;
}

/**
 * Imports customer profiles. The file is validated whole first and nothing is written unless every
 * row is valid; re-importing the same file rewrites identical profiles and changes nothing else.
 */
export async function importCustomers(file: string, text: string, port: IngestPort): Promise<ImportReport> {
  const parsed = parseRows(text, formatFromName(file), CustomerRowSchema, REQUIRED_CUSTOMER_COLUMNS);
  if (!parsed.ok) return { ok: false, file, rows: 0, written: 0, unchanged: 0, problems: parsed.problems };
  const dupes = duplicates(
    parsed.rows,
    (v) => v.customer_id,
    (a, b) => JSON.stringify(a) === JSON.stringify(b),
    'customer',
  );
  if (dupes.length > 0)
    return { ok: false, file, rows: parsed.rows.length, written: 0, unchanged: 0, problems: dupes };
  for (const row of parsed.rows) await port.upsertProfile(profileFromRow(row.value));
  return {
    ok: true,
    file,
    rows: parsed.rows.length,
    written: parsed.rows.length,
    unchanged: 0,
    problems: [],
  };
}

/**
 * Imports orders: all rows are validated, customers must exist and an order id already stored with
 * other values is a conflict — all before the first write. Each order is then recorded and folded
 * into its customer's aggregates exactly once (see CustomerStore.applyOrder).
 */
export async function importOrders(
  file: string,
  text: string,
  port: IngestPort,
  options: {
    retentionDays: number;
    /**
     * Attribution of each order to the customer's latest decision (docs/measurement.md). Every order
     * of the file is offered, already stored or not: the port counts an order once, and offering it
     * again repairs an order whose attribution never ran (imported before its night was decided).
     */
    attribution?: { port: AttributionPort; defaultDays: number } | undefined;
  },
): Promise<ImportReport> {
  const parsed = parseRows(text, formatFromName(file), OrderRowSchema, REQUIRED_ORDER_COLUMNS);
  if (!parsed.ok) return { ok: false, file, rows: 0, written: 0, unchanged: 0, problems: parsed.problems };
  const rows = parsed.rows;
  const problems: RowProblem[] = duplicates(
    rows,
    (v: OrderRow) => `${v.customer_id}/${v.order_id}`,
    (a, b) => a.date === b.date && a.amount === b.amount && a.currency === b.currency,
    'order',
  );
  const known = await port.existingCustomerIds(rows.map((r) => r.value.customer_id));
  for (const r of rows) {
    if (!known.has(r.value.customer_id))
      problems.push({
        line: r.line,
        message: `customer_id: no customer ${r.value.customer_id} (import customers first)`,
      });
  }
  const stored = await port.existingOrders(
    rows.map((r) => ({ customerId: r.value.customer_id, orderId: r.value.order_id })),
  );
  for (const r of rows) {
    const s = stored.get(`${r.value.customer_id}/${r.value.order_id}`);
    if (s && (s.date !== r.value.date || s.amount !== r.value.amount || s.currency !== r.value.currency)) {
      problems.push({
        line: r.line,
        message: `order ${r.value.order_id} is already stored with other values (${s.date}, ${s.amount} ${s.currency})`,
      });
    }
  }
  if (problems.length > 0) {
    return {
      ok: false,
      file,
      rows: rows.length,
      written: 0,
      unchanged: 0,
      problems: problems.sort((a, b) => a.line - b.line),
    };
  }
  let written = 0;
  let unchanged = 0;
  let attributed = 0;
  // One customer's orders go in file order (they update the same aggregates and decisions); different
  // customers are independent, so several are imported at once: each order is a handful of sequential
  // requests, and one at a time leaves the table idle.
  const seen = new Set<string>();
  const byCustomer = new Map<string, (typeof rows)[number][]>();
  for (const r of rows) {
    const key = `${r.value.customer_id}/${r.value.order_id}`;
    if (seen.has(key)) {
      unchanged++;
      continue;
    }
    seen.add(key);
    const list = byCustomer.get(r.value.customer_id);
    if (list) list.push(r);
    else byCustomer.set(r.value.customer_id, [r]);
  }
  const importOne = async (r: (typeof rows)[number]) => {
    const expiresAt =
      Math.floor(Date.parse(`${r.value.date}T00:00:00Z`) / 1000) + options.retentionDays * 86_400;
    const outcome = await port.applyOrder({
      customerId: r.value.customer_id,
      orderId: r.value.order_id,
      date: r.value.date,
      amount: r.value.amount,
      currency: r.value.currency,
      expiresAt,
    });
    if (outcome === 'applied') written++;
    else if (outcome === 'duplicate') unchanged++;
    else throw new Error(`line ${r.line}: order ${r.value.order_id} changed while importing`);
    if (options.attribution) {
      const result = await attributeOrder(
        options.attribution.port,
        {
          customerId: r.value.customer_id,
          orderId: r.value.order_id,
          date: r.value.date,
          amount: r.value.amount,
        },
        options.attribution.defaultDays,
      );
      if (result === 'attributed') attributed++;
    }
  };
  const customers = [...byCustomer.values()];
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < customers.length) {
      const customerRows = customers[next++] ?? [];
      try {
        for (const r of customerRows) await importOne(r);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, customers.length) }, worker));
  if (failure !== undefined) throw failure;
  return {
    ok: true,
    file,
    rows: rows.length,
    written,
    unchanged,
    problems: [],
    ...(options.attribution ? { attributed } : {}),
  };
}
