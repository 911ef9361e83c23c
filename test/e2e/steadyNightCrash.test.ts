import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const CUSTOMERS = 1_500;
const NIGHT_2 = '2026-11-21';

describe('a steady night that crashes mid-page', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('steady-crash', { SCAN_PAGE_SIZE: '100' }));
    await seedWithExamples(session, { customers: CUSTOMERS, seed: 5, asOf: '2026-11-20' });
  });

  afterAll(async () => {
    await close?.();
  });

  it('resumes without firing a signal twice or recording a decision twice', async () => {
    await runNight({ runDate: '2026-11-20' });
    // Test-only fault injection: the 15th customer write of night 2 fails in the middle of a page,
    // after untouched (skipped) customers of that page were already passed over.
    let customerWrites = 0;
    documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string };
        if (context.commandName === 'UpdateItemCommand' && input.TableName === session.tables.customers) {
          customerWrites++;
          if (customerWrites === 15)
            throw Object.assign(new Error('simulated crash mid-page'), { name: 'SimulatedCrash' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'testCrash' },
    );
    const crashing = await runNight({ runDate: NIGHT_2 }).then(
      () => 'succeeded',
      (error: Error) => error.message,
    );
    documentClient().middlewareStack.remove('testCrash');
    expect(crashing).toMatch(/simulated crash mid-page/);

    const resumed = await runNight({ runDate: NIGHT_2 });
    expect(resumed.summary.customers).toBe(CUSTOMERS);
    expect(Object.values(resumed.summary.stages).reduce((a, b) => a + b, 0)).toBe(CUSTOMERS);

    // Every signal of night 2 is stored on its customer, once: the summary counts exactly those.
    const customers = ((await documentClient().send(new ScanCommand({ TableName: session.tables.customers })))
      .Items ?? []) as CustomerRecord[];
    const storedSignals: Record<string, number> = {};
    for (const c of customers) {
      if (c.night?.runDate !== NIGHT_2) continue;
      for (const s of c.night.signals) storedSignals[s.type] = (storedSignals[s.type] ?? 0) + 1;
    }
    expect(Object.keys(storedSignals).length).toBeGreaterThan(0);
    expect(resumed.summary.signals).toEqual(storedSignals);
    // Untouched customers still carry night 1: the skip is real.
    expect(customers.filter((c) => c.night?.runDate !== NIGHT_2).length).toBeGreaterThan(CUSTOMERS / 2);

    const ledger = ((await documentClient().send(new ScanCommand({ TableName: session.tables.ledger })))
      .Items ?? []) as LedgerEntry[];
    const night2 = ledger.filter((e) => e.runDate === NIGHT_2);
    expect(new Set(night2.map((e) => e.customerId)).size).toBe(night2.length);
  });
});
