import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneExpired } from '../../cli/local/prune.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { RunStore } from '../../functions/adapters/runStore.js';
import { addDays } from '../../functions/domain/night/dates.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// Retention on the embedded DynamoDB (no TTL): every expiring item carries `expiresAt`, expired run
// records read as absent, and `retention prune` deletes exactly the expired items while the
// customers' aggregates and the nights' kept figures stay.

const NIGHT = '2026-11-20';

async function scanAll(table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const at = (date: string) => new Date(`${date}T00:00:00Z`);

describe('data retention', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('retention'));
    await seedWithExamples(session, { customers: 300, seed: 3, asOf: NIGHT });
    await runNight({ runDate: NIGHT });
  }, 180_000);

  afterAll(async () => {
    await close?.();
  });

  it('orders, ledger entries, run records and progress carry their expiry', async () => {
    const day = (n: number) => Math.floor(at(NIGHT).getTime() / 1000) + n * 86_400;
    const ledger = await scanAll(session.tables.ledger);
    expect(ledger.length).toBeGreaterThan(0);
    for (const e of ledger)
      expect(Number(e.expiresAt)).toBeGreaterThanOrEqual(day(session.config.LEDGER_RETENTION_DAYS));
    const orders = await scanAll(session.tables.orders);
    expect(orders.length).toBeGreaterThan(0);
    for (const o of orders) expect(typeof o.expiresAt).toBe('number');
    const run = (await scanAll(session.tables.config)).filter((i) => String(i.pk) === `RUN#${NIGHT}`);
    expect(run.length).toBeGreaterThan(1);
    for (const item of run) expect(item.expiresAt).toBe(day(session.config.RUN_RETENTION_DAYS));
  });

  it('an expired run record reads as absent; the night’s figures are kept', async () => {
    const later = addDays(NIGHT, session.config.RUN_RETENTION_DAYS);
    const runsThen = new RunStore(documentClient(), session.tables, session.config.RUN_RETENTION_DAYS, () =>
      at(later),
    );
    const runsNow = new RunStore(documentClient(), session.tables, session.config.RUN_RETENTION_DAYS);
    expect(await runsNow.get(NIGHT)).toBeDefined();
    expect(await runsThen.get(NIGHT)).toBeUndefined();
    expect(await runsThen.listProgress(NIGHT, 'score')).toEqual([]);
    const [kept] = await runsThen.listFigures(NIGHT, NIGHT);
    expect(kept?.customers).toBe(300);
    expect(Object.values(kept?.stages ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Object.keys(kept?.recency ?? {}).length).toBeGreaterThan(0);
  });

  it('prune deletes nothing today, and everything expired years later except what reports need', async () => {
    const before = {
      customers: (await scanAll(session.tables.customers)).length,
      orders: (await scanAll(session.tables.orders)).length,
      ledger: (await scanAll(session.tables.ledger)).length,
    };
    const today = await pruneExpired(documentClient(), session.tables, at(NIGHT));
    expect(today.deleted).toEqual({ orders: 0, config: 0, ledger: 0 });

    // Ten years on, every order, ledger entry and run item is past its period.
    const result = await pruneExpired(documentClient(), session.tables, at('2036-11-20'));
    expect(result.deleted.orders).toBe(before.orders);
    expect(result.deleted.ledger).toBe(before.ledger);
    expect(result.deleted.config).toBeGreaterThan(1);
    expect(await scanAll(session.tables.orders)).toEqual([]);
    expect(await scanAll(session.tables.ledger)).toEqual([]);
    const config = await scanAll(session.tables.config);
    expect(config.filter((i) => String(i.pk).startsWith('RUN#'))).toEqual([]);
    // Kept: customers with their aggregates, campaigns, and the nights' figures.
    expect((await scanAll(session.tables.customers)).length).toBe(before.customers);
    expect(config.filter((i) => i.pk === 'NIGHTS').map((i) => i.sk)).toEqual([NIGHT]);
    expect(config.some((i) => i.pk === 'CAMPAIGNS')).toBe(true);
    // Nothing left to prune.
    const again = await pruneExpired(documentClient(), session.tables, at('2036-11-20'));
    expect(again.deleted).toEqual({ orders: 0, config: 0, ledger: 0 });
  });
});
