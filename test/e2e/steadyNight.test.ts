import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const CUSTOMERS = 2_000;

describe('a steady second night', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('steady'));
    await seedWithExamples(session, { customers: CUSTOMERS, seed: 11, asOf: '2026-11-20' });
  });

  afterAll(async () => {
    await close?.();
  });

  it('writes at most 0.2 WCU per customer, while the first night writes every customer', async () => {
    const first = await runNight({ runDate: '2026-11-20' });
    const second = await runNight({ runDate: '2026-11-21' });
    const wcu = (n: typeof first) => n.work.dynamodb.writeCapacityUnits / n.summary.customers;
    expect(first.summary.customers).toBe(CUSTOMERS);
    expect(second.summary.customers).toBe(CUSTOMERS);
    expect(wcu(first)).toBeGreaterThan(1);
    expect(wcu(second)).toBeLessThanOrEqual(0.2);
    expect(first.summary.work.customersWritten).toBe(CUSTOMERS);
    expect(second.summary.work.customersUnchanged).toBeGreaterThan(CUSTOMERS * 0.9);
    expect(second.summary.work.customersWritten + second.summary.work.customersUnchanged).toBe(CUSTOMERS);
    // Re-running the steady night decides the same for everyone, skipped customers included.
    const again = await runNight({ runDate: '2026-11-21' });
    expect(again.summary.stages).toEqual(second.summary.stages);
    expect(again.summary.signals).toEqual(second.summary.signals);
    expect(again.summary.outcomes).toEqual(second.summary.outcomes);
    expect(again.work.ses.calls.SendEmailCommand ?? 0).toBe(0);
    process.stdout.write(
      `steady night, ${CUSTOMERS} customers: WCU per customer night 1 ${wcu(first).toFixed(3)}, night 2 ${wcu(second).toFixed(3)}\n`,
    );
  });
});
