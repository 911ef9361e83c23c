import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { forgetPorts } from '../../functions/adapters/erasure.js';
import { SendFeedbackStore } from '../../functions/adapters/sendStats.js';
import { SuppressionStore } from '../../functions/adapters/suppressionStore.js';
import { forgetCustomer } from '../../functions/domain/erasure/forget.js';
import { importCustomers, importOrders } from '../../functions/domain/ingest/importService.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// `retention forget` on the embedded DynamoDB: a customer who was mailed on night 1 is erased;
// afterwards no item anywhere holds their address, and no item about them holds their name; a
// re-import of the same customer and orders is suppressed on night 2 and gets no email.

const NIGHT1 = '2026-11-20';
const NIGHT2 = '2026-11-21';

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

async function recipients(session: LocalSession): Promise<string[]> {
  const res = await fetch(`${session.services.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: { destination: { to: string[] } }[] };
  return emails.flatMap((e) => e.destination.to.map((t) => t.toLowerCase()));
}

describe('retention forget', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  let customerId: string;
  let profile: { email: string; firstName?: string; lastName?: string } & Record<string, unknown>;
  let orders: Record<string, unknown>[];

  beforeAll(async () => {
    ({ session, close } = await openTestSession('forget'));
    await seedWithExamples(session, { customers: 600, seed: 11, asOf: NIGHT1 });
    await runNight({ runDate: NIGHT1 });
    const ledger = await scanAll(session.tables.ledger);
    const sent = ledger.find((e) => e.status === 'sent');
    if (!sent) throw new Error('night 1 sent nothing');
    customerId = String(sent.customerId);
    const item = await documentClient().send(
      new GetCommand({ TableName: session.tables.customers, Key: { customerId } }),
    );
    profile = item.Item?.profile as typeof profile;
    const out = await documentClient().send(
      new QueryCommand({
        TableName: session.tables.orders,
        KeyConditionExpression: 'customerId = :c',
        ExpressionAttributeValues: { ':c': customerId },
      }),
    );
    orders = out.Items ?? [];
    // An SES event that could not be matched, parked raw with the address in it.
    await new SendFeedbackStore(documentClient(), session.tables).park(
      { detail: { mail: { destination: [profile.email.toUpperCase()] } } },
      'no ledger entry',
      new Date(),
    );
  }, 180_000);

  afterAll(async () => {
    await close?.();
  });

  const forget = (id: string) =>
    forgetCustomer(forgetPorts(documentClient(), session.tables, session.config.ERASURE_SALT), id, {
      salt: session.config.ERASURE_SALT,
      now: new Date(),
    });

  it('erases the profile, orders, ledger and parked events; nothing holds the address or the name', async () => {
    expect(profile.email).toContain('@');
    expect(orders.length).toBeGreaterThan(0);
    const result = await forget(customerId);
    expect(result.status).toBe('forgotten');
    if (result.status !== 'forgotten') return;
    expect(result.erased.customers).toBe(1);
    expect(result.erased.orders).toBe(orders.length);
    expect(result.erased.ledger).toBeGreaterThanOrEqual(1);
    expect(result.erased['parked-events']).toBe(1);

    const email = profile.email.trim().toLowerCase();
    const names = [profile.firstName, profile.lastName]
      .filter((n): n is string => !!n)
      .map((n) => n.toLowerCase());
    expect(names.length).toBeGreaterThan(0);
    const tables = Object.values(session.tables);
    expect(tables).toHaveLength(5);
    for (const table of tables) {
      for (const item of await scanAll(table)) {
        const text = JSON.stringify(item).toLowerCase();
        expect(text, `${table}: ${text.slice(0, 200)}`).not.toContain(email);
        // Other customers may share a first or last name; nothing about this one may hold it.
        if (text.includes(customerId.toLowerCase())) {
          for (const name of names)
            expect(text, `${table}: ${text.slice(0, 200)}`).not.toContain(`"${name}"`);
        }
      }
    }
  });

  it('is idempotent, and an unknown id is told apart', async () => {
    const again = await forget(customerId);
    expect(again.status).toBe('already_forgotten');
    expect(await forget('NO-SUCH-CUSTOMER')).toEqual({ status: 'unknown', customerId: 'NO-SUCH-CUSTOMER' });
  });

  it('a re-import of the same customer and orders is suppressed and never mailed', async () => {
    const csvCustomers =
      'customer_id,email,first_name,last_name,country,language,time_zone,birth_date,signup_date,email_consent,consent_topics\n' +
      [
        customerId,
        profile.email,
        profile.firstName ?? '',
        profile.lastName ?? '',
        profile.country,
        profile.language,
        profile.timeZone,
        profile.birthDate ?? '',
        profile.signupDate,
        'true',
        Object.keys((profile.consent as { topics: Record<string, boolean> }).topics).join(';'),
      ].join(',');
    const imported = await importCustomers('customers.csv', csvCustomers, session.customers);
    expect(imported.ok, JSON.stringify(imported.problems)).toBe(true);
    const csvOrders = `order_id,customer_id,date,amount,currency\n${orders
      .map((o) => [o.orderId, customerId, o.date, o.amount, o.currency ?? ''].join(','))
      .join('\n')}`;
    const importedOrders = await importOrders('orders.csv', csvOrders, session.customers, {
      retentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    expect(importedOrders.ok, JSON.stringify(importedOrders.problems)).toBe(true);

    const suppression = new SuppressionStore(documentClient(), session.tables, session.config.ERASURE_SALT);
    const found = await suppression.suppressedAmong([
      { customerId: 'someone-new', email: ` ${profile.email.toUpperCase()} ` },
    ]);
    expect(found.get('someone-new')).toBe('erasure');

    const before = (await recipients(session)).length;
    const night2 = await runNight({ runDate: NIGHT2 });
    expect(night2.summary.customers).toBe(600);
    const mailedTonight = (await recipients(session)).slice(before);
    expect(mailedTonight.length).toBeGreaterThan(0);
    expect(mailedTonight).not.toContain(profile.email.toLowerCase());
    const ledger = (await scanAll(session.tables.ledger)).filter((e) => e.customerId === customerId);
    expect(ledger.filter((e) => e.status === 'sent' || e.status === 'queued')).toEqual([]);
    const item = await documentClient().send(
      new GetCommand({ TableName: session.tables.customers, Key: { customerId } }),
    );
    const outcome = (item.Item?.night as { decision?: { outcome?: string } } | undefined)?.decision?.outcome;
    // Chosen again by a campaign (the contact history went with the profile), and suppressed.
    expect(outcome).toBe('suppressed');
  }, 180_000);
});
