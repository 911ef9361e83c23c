import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributionStore } from '../../../functions/adapters/attributionStore.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import { storeErasers } from '../../../functions/adapters/erasure.js';
import {
  type LedgerEntry,
  LedgerStore,
  ledgerKey,
  runShard,
} from '../../../functions/adapters/ledgerStore.js';
import type { LedgerStatus } from '../../../functions/domain/delivery/ledger.js';
import { importCustomers, importOrders } from '../../../functions/domain/ingest/importService.js';
import type { AttributionSums } from '../../../functions/domain/measurement/attribution.js';
import { openTestSession } from '../../support/localWorld.js';

type World = Awaited<ReturnType<typeof openTestSession>>;

const CUSTOMERS = `customer_id,email,first_name,last_name,country,language,time_zone,birth_date,signup_date,email_consent,consent_topics
${['a', 'b', 'c', 'd', 'e', 'g'].map((id) => `${id},${id}@example.com,X,Y,DE,de,Europe/Berlin,,2024-01-01,true,offers`).join('\n')}
`;

function entry(
  runDate: string,
  campaignId: string,
  customerId: string,
  status: LedgerStatus,
  attributionDays?: number,
): LedgerEntry {
  return {
    sendKey: ledgerKey(runDate, campaignId, customerId),
    runShard: runShard(runDate, 0),
    runDate,
    segment: 0,
    campaignId,
    campaignVersion: 1,
    segmentId: 'all',
    customerId,
    status,
    createdAt: `${runDate}T02:00:00.000Z`,
    ...(attributionDays === undefined ? {} : { attributionDays }),
    expiresAt: 4_000_000_000,
  };
}

describe('attribution at order ingest, on the embedded DynamoDB through the real SDK client', () => {
  let world: World;
  let store: AttributionStore;
  const importWithAttribution = (file: string, text: string) =>
    importOrders(file, text, world.session.customers, {
      retentionDays: 1000,
      attribution: { port: store, defaultDays: 14 },
    });
  const sums = async (runDate: string) =>
    new Map((await store.nightSums(runDate)).map((s: AttributionSums) => [`${s.campaignId}/${s.group}`, s]));

  beforeAll(async () => {
    world = await openTestSession('attribution');
    const db = documentClient();
    store = new AttributionStore(db, world.session.tables, {
      retentionDays: 730,
      now: () => new Date(),
      defaultDays: 14,
    });
    expect(await importCustomers('c.csv', CUSTOMERS, world.session.customers)).toMatchObject({ ok: true });
    const ledger = new LedgerStore(db, world.session.tables);
    for (const e of [
      entry('2026-11-01', 'win-back', 'a', 'sent'),
      entry('2026-11-01', 'win-back', 'b', 'held_out'),
      entry('2026-11-01', 'win-back', 'c', 'skipped'),
      entry('2026-11-01', 'win-back', 'd', 'sent'),
      entry('2026-11-08', 'vip', 'd', 'sent', 3),
      entry('2026-11-01', 'win-back', 'g', 'global_control'),
    ])
      expect(await ledger.create(e)).toBe(true);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('attributes by the window (day 14 counts, day 15 not, none before), latest decision first, once', async () => {
    const orders = `order_id,customer_id,date,amount,currency
a1,a,2026-11-01,10,EUR
a2,a,2026-11-15,20,EUR
a3,a,2026-11-16,40,EUR
b0,b,2026-10-31,99,EUR
b1,b,2026-11-10,5,EUR
c1,c,2026-11-02,7.5,EUR
d1,d,2026-11-05,3,EUR
d2,d,2026-11-09,11,EUR
d3,d,2026-11-12,13,EUR
g1,g,2026-11-03,8,EUR
e1,e,2026-11-03,50,EUR
`;
    const first = await importWithAttribution('orders.csv', orders);
    // a1, a2, b1, c1, d1 (win-back), d2 (vip, day 1 of 3), g1: 7; a3 day 15, b0 before, d3 vip day 4, e1 no decision.
    expect(first).toMatchObject({ ok: true, written: 11, attributed: 7 });
    const night1 = await sums('2026-11-01');
    expect(night1.get('win-back/treatment')).toMatchObject({
      converters: 3, // a, c (skipped: still treatment), d
      orders: 4,
      revenue: 10 + 20 + 7.5 + 3,
      revenueSumSquares: 30 ** 2 + 7.5 ** 2 + 3 ** 2,
    });
    expect(night1.get('win-back/holdout')).toMatchObject({ converters: 1, orders: 1, revenue: 5 });
    expect(night1.get('win-back/global_control')).toMatchObject({ converters: 1, orders: 1, revenue: 8 });
    const night2 = await sums('2026-11-08');
    expect(night2.get('vip/treatment')).toMatchObject({
      converters: 1,
      orders: 1,
      revenue: 11,
      revenueSumSquares: 121,
    });

    // The same file again, and a file with one old and one new order: nothing counts twice.
    const again = await importWithAttribution('orders.csv', orders);
    expect(again).toMatchObject({ ok: true, written: 0, unchanged: 11, attributed: 0 });
    const more = await importWithAttribution(
      'more.csv',
      'order_id,customer_id,date,amount\na1,a,2026-11-01,10\na4,a,2026-11-02,2\n',
    );
    expect(more).toMatchObject({ ok: true, written: 1, attributed: 1 });
    const after = await sums('2026-11-01');
    expect(after.get('win-back/treatment')).toMatchObject({
      converters: 3,
      orders: 5,
      revenue: 42.5,
      revenueSumSquares: 32 ** 2 + 7.5 ** 2 + 3 ** 2,
    });
    expect(after.get('win-back/holdout')).toMatchObject({ orders: 1 });
  });

  it("forget erases the customer's attribution items, and the night's sums stay", async () => {
    const db = documentClient();
    const eraser = storeErasers(db, world.session.tables).find((e) => e.store === 'attribution')!;
    const marker = (sendKey: string) =>
      db.send(
        new QueryCommand({
          TableName: world.session.tables.config,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `ATTRIB#${sendKey}` },
        }),
      );
    const key = ledgerKey('2026-11-01', 'win-back', 'd');
    expect((await marker(key)).Items?.length).toBe(2); // d1 and TOTAL
    const before = await store.nightSums('2026-11-01');
    expect(await eraser.erase({ customerId: 'd', email: 'd@example.com' })).toBe(4); // both decisions' items
    expect((await marker(key)).Items).toEqual([]);
    expect((await marker(ledgerKey('2026-11-08', 'vip', 'd'))).Items).toEqual([]);
    expect((await marker(ledgerKey('2026-11-01', 'win-back', 'a'))).Items?.length).toBeGreaterThan(0);
    expect(await store.nightSums('2026-11-01')).toEqual(before);
  });

  it('writes nothing for a rejected file', async () => {
    const before = await store.nightSums('2026-11-01');
    const bad = await importWithAttribution(
      'bad.csv',
      'order_id,customer_id,date,amount\nz1,a,2026-11-03,4\nz2,nobody,2026-11-03,4\n',
    );
    expect(bad.ok).toBe(false);
    expect(await store.nightSums('2026-11-01')).toEqual(before);
  });
});
