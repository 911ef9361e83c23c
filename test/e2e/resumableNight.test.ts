import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import type { CustomerRecord } from '../../functions/adapters/customerStore.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

const RUN_DATE = '2026-11-21';
const CUSTOMERS = 400;

describe('a night that is cut short resumes where it stopped', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // Small pages and a deadline reserve longer than any Lambda timeout: every ScoreSegment
    // invocation handles one page, saves its resume key and returns done=false.
    ({ session, close } = await openTestSession('resume', {
      SCAN_PAGE_SIZE: '40',
      DEADLINE_RESERVE_MS: '100000000',
    }));
    await seedWithExamples(session, { customers: CUSTOMERS, seed: 11, asOf: RUN_DATE });
  });

  afterAll(async () => {
    await close?.();
  });

  it('pages through segments across invocations, survives a crash, and scores every customer once', async () => {
    // Test-only fault injection on the SDK client: the 150th customer write of the night fails with
    // an error nobody retries, in the middle of a page, as if the Lambda had died there.
    let customerWrites = 0;
    documentClient().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string };
        if (context.commandName === 'UpdateItemCommand' && input.TableName === session.tables.customers) {
          customerWrites++;
          if (customerWrites === 150)
            throw Object.assign(new Error('simulated crash mid-page'), { name: 'SimulatedCrash' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'testCrash' },
    );
    const crashing = await runNight({ runDate: RUN_DATE }).then(
      () => 'succeeded',
      (error: Error) => error.message,
    );
    documentClient().middlewareStack.remove('testCrash');
    expect(crashing).toMatch(/simulated crash mid-page/);

    const scoredBefore = (
      (await documentClient().send(new ScanCommand({ TableName: session.tables.customers }))).Items ?? []
    ).filter((c) => (c as CustomerRecord).night?.runDate === RUN_DATE).length;
    expect(scoredBefore).toBeGreaterThan(0);
    expect(scoredBefore).toBeLessThan(CUSTOMERS);

    const resumed = await runNight({ runDate: RUN_DATE });
    expect(resumed.summary.customers).toBe(CUSTOMERS);
    expect(Object.values(resumed.summary.stages).reduce((a, b) => a + b, 0)).toBe(CUSTOMERS);
    // Several invocations per segment: the Choice loop re-invoked ScoreSegment until done.
    expect(resumed.summary.work.scoreInvocations).toBeGreaterThan(resumed.summary.work.segments);
    expect(resumed.summary.work.incompleteSegments).toBe(0);
    const customers = ((await documentClient().send(new ScanCommand({ TableName: session.tables.customers })))
      .Items ?? []) as CustomerRecord[];
    expect(customers.every((c) => c.night?.runDate === RUN_DATE)).toBe(true);
  });
});
