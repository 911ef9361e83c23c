import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSession, openLocalSession } from '../../../cli/local/session.js';
import { importCustomers, importOrders } from '../../../functions/domain/ingest/importService.js';

const CUSTOMERS = `customer_id,email,first_name,last_name,country,language,time_zone,birth_date,signup_date,email_consent,consent_topics,tier
c1,ann@example.com,Ann,Lee,de,de,Europe/Berlin,1990-05-01,2024-01-10,true,offers;birthday,gold
c2,bob@example.org,Bob,,US,en,America/New_York,,2025-02-01,no,,
`;

const ORDERS = `order_id,customer_id,date,amount,currency
o1,c1,2025-01-05,10.00,EUR
o2,c1,2025-01-05,5.50,EUR
o3,c1,2025-03-01,20,EUR
o4,c2,2025-02-02,7,EUR
`;

describe('import through the same domain code the ingestion Lambda uses, on the embedded DynamoDB', () => {
  let session: LocalSession;
  let home: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'retention-ingest-'));
    session = await openLocalSession({ home, persist: false });
  });
  afterAll(async () => {
    await session?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('imports customers and orders, keeps aggregates per purchase day, and a re-import changes nothing', async () => {
    const c = await importCustomers('customers.csv', CUSTOMERS, session.customers);
    expect(c).toMatchObject({ ok: true, rows: 2, written: 2 });
    const first = await importOrders('orders.csv', ORDERS, session.customers, { retentionDays: 1000 });
    expect(first).toMatchObject({ ok: true, rows: 4, written: 4, unchanged: 0 });
    const ann = await session.customers.get('c1');
    expect(ann?.profile).toMatchObject({
      country: 'DE',
      consent: { email: true, topics: { offers: true, birthday: true } },
      attributes: { tier: 'gold' },
    });
    expect(ann?.aggregates).toMatchObject({
      orderCount: 3,
      purchaseDays: 2,
      totalSpent: 35.5,
      firstDaySpent: 15.5,
      firstOrderDate: '2025-01-05',
      lastOrderDate: '2025-03-01',
    });

    const again = await importOrders('orders.csv', ORDERS, session.customers, { retentionDays: 1000 });
    expect(again).toMatchObject({ ok: true, written: 0, unchanged: 4 });
    await importCustomers('customers.csv', CUSTOMERS, session.customers);
    const annAfter = await session.customers.get('c1');
    expect(annAfter?.aggregates).toEqual(ann?.aggregates);
    expect(annAfter?.aggVersion).toBe(ann?.aggVersion);
  });

  it('rejects a file with a bad row as a whole, naming the line and field, and writes nothing', async () => {
    const bad = `${ORDERS}o5,c1,2025-13-01,3,EUR\no6,c1,2025-04-01,-2,EUR\no7,nobody,2025-04-01,2,EUR\n`;
    const before = await session.customers.get('c1');
    const r = await importOrders('orders.csv', bad, session.customers, { retentionDays: 1000 });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.line)).toEqual([6, 7]);
    expect(r.problems[0]?.message).toMatch(/^date: /);
    expect(r.problems[1]?.message).toMatch(/^amount: must not be negative/);
    const unknown = await importOrders(
      'o.csv',
      'order_id,customer_id,date,amount\no9,nobody,2025-04-01,2\n',
      session.customers,
      { retentionDays: 1000 },
    );
    expect(unknown.problems).toEqual([
      { line: 2, message: 'customer_id: no customer nobody (import customers first)' },
    ]);
    const conflict = await importOrders(
      'o.csv',
      'order_id,customer_id,date,amount\no1,c1,2025-01-05,99\n',
      session.customers,
      { retentionDays: 1000 },
    );
    expect(conflict.problems[0]?.message).toMatch(/already stored with other values/);
    expect((await session.customers.get('c1'))?.aggregates).toEqual(before?.aggregates);
    expect(await session.customers.getOrder('c1', 'o5')).toBeUndefined();
  });

  it('reports missing columns and malformed JSON Lines with their line', async () => {
    const r = await importCustomers('c.csv', 'customer_id,email\nx,y@example.com\n', session.customers);
    expect(r.problems[0]).toMatchObject({ line: 1 });
    expect(r.problems[0]?.message).toMatch(/missing columns: first_name|missing columns: country/);
    const j = await importOrders(
      'o.jsonl',
      '{"order_id":"a","customer_id":"c1","date":"2025-05-01","amount":1}\n{oops\n',
      session.customers,
      { retentionDays: 10 },
    );
    expect(j.problems).toEqual([{ line: 2, message: expect.stringMatching(/^not valid JSON/) }]);
  });

  it('counts a late out-of-order order on an existing purchase day once', async () => {
    await importOrders(
      'late.jsonl',
      '{"order_id":"o10","customer_id":"c1","date":"2025-02-01","amount":4}\n{"order_id":"o11","customer_id":"c1","date":"2025-02-01","amount":1}\n',
      session.customers,
      { retentionDays: 1000 },
    );
    const agg = (await session.customers.get('c1'))?.aggregates;
    expect(agg).toMatchObject({ orderCount: 5, purchaseDays: 3, totalSpent: 40.5 });
  });
});
