import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { Random } from '../../cli/seed/random.js';
import { documentClient, sesClient } from '../../functions/adapters/clients.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { RunStore } from '../../functions/adapters/runStore.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// Proofs (a) and (b) of docs/delivery.md: a crash in the middle of sending and a re-run, and 20 %
// throttling, against the embedded SES emulator and DynamoDB, through the real state machine.

const SEED_AS_OF = '2026-11-20';
const CRASH_NIGHT = '2026-11-20';
const THROTTLE_NIGHT = '2027-01-20';

interface StoredEmail {
  messageId: string;
  at: number;
  destination: { to: string[] };
}

async function ledgerOf(session: LocalSession, runDate: string): Promise<LedgerEntry[]> {
  const items: LedgerEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(
      new ScanCommand({ TableName: session.tables.ledger, ExclusiveStartKey: startKey }),
    );
    items.push(...((out.Items ?? []) as LedgerEntry[]));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items.filter((e) => e.runDate === runDate);
}

/** Every email the SES emulator accepted, by message id. */
async function emulatorEmails(session: LocalSession): Promise<Map<string, StoredEmail>> {
  const res = await fetch(`${session.services.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  return new Map(emails.map((e) => [e.messageId, e]));
}

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;

function addMiddleware(
  client: { middlewareStack: { add: (...a: never[]) => void } },
  name: string,
  mw: Middleware,
) {
  (client.middlewareStack.add as (m: Middleware, o: object) => void)(mw, { step: 'initialize', name });
}
function removeMiddleware(client: { middlewareStack: { remove: (name: string) => boolean } }, name: string) {
  expect(client.middlewareStack.remove(name)).toBe(true);
}

function throttleError(): Error {
  return Object.assign(new Error('Maximum sending rate exceeded.'), {
    name: 'TooManyRequestsException',
    $fault: 'client',
    $metadata: { httpStatusCode: 429 },
  });
}

describe('sending survives crashes and throttling without a duplicate', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  const emailOf = new Map<string, string>();

  beforeAll(async () => {
    ({ session, close } = await openTestSession('delivery'));
    await seedWithExamples(session, { customers: 600, seed: 11, asOf: SEED_AS_OF });
    const out = await documentClient().send(
      new ScanCommand({ TableName: session.tables.customers, ProjectionExpression: 'customerId, profile' }),
    );
    for (const c of out.Items ?? []) emailOf.set(String(c.customerId), String(c.profile.email).toLowerCase());
  });

  afterAll(async () => {
    await close?.();
  });

  it('(a) a crash after SES accepted the K-th message, then a re-run: each customer mailed at most once, every entry settled', async () => {
    const K = 5;
    const crash = { sends: 0, crashed: false };
    const ses = sesClient();
    const db = documentClient();
    // The process "dies" right after SES accepted the K-th message: the response is lost (a reset
    // connection, so the outcome is unknown), and from then on no write and no send gets out.
    addMiddleware(ses, 'testCrashSes', (next, context) => async (args) => {
      if (crash.crashed) throw Object.assign(new Error('process gone'), { name: 'SimulatedCrash' });
      const out = await next(args);
      if (context.commandName === 'SendEmailCommand' && ++crash.sends === K) {
        crash.crashed = true;
        throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
      }
      return out;
    });
    addMiddleware(db, 'testCrashDb', (next) => async (args) => {
      if (crash.crashed) throw Object.assign(new Error('process gone'), { name: 'SimulatedCrash' });
      return next(args);
    });
    // A dead process takes all its in-flight invocations with it: keep the services "dead" until every
    // invocation the failed execution had started has ended, so none outlives the crash.
    const inFlight = { n: 0 };
    const track =
      (_name: string, h: (e: unknown, c: never) => Promise<unknown>) => async (e: unknown, c: never) => {
        inFlight.n += 1;
        try {
          return await h(e, c);
        } finally {
          inFlight.n -= 1;
        }
      };
    try {
      await expect(runNight({ runDate: CRASH_NIGHT, wrapHandler: track as never })).rejects.toThrow();
      for (let quiet = 0; quiet < 5; quiet = inFlight.n === 0 ? quiet + 1 : 0) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      removeMiddleware(ses, 'testCrashSes');
      removeMiddleware(db, 'testCrashDb');
    }
    expect(crash.crashed).toBe(true);
    const afterCrash = await ledgerOf(session, CRASH_NIGHT);
    // The crash left a send intent (the group being sent) whose outcomes were never stored.
    const openIntents = (
      await new RunStore(documentClient(), session.tables).listProgress(CRASH_NIGHT, 'send')
    ).flatMap((p) => p.intent?.sendKeys ?? []);
    expect(openIntents.length).toBeGreaterThanOrEqual(1);
    const stillQueued = new Set(afterCrash.filter((e) => e.status === 'queued').map((e) => e.sendKey));
    expect(openIntents.some((k) => stillQueued.has(k))).toBe(true);

    const rerun = await runNight({ runDate: CRASH_NIGHT });
    const entries = await ledgerOf(session, CRASH_NIGHT);
    const emails = [...(await emulatorEmails(session)).values()];
    const byRecipient = new Map<string, number>();
    for (const e of emails)
      for (const to of e.destination.to)
        byRecipient.set(to.toLowerCase(), (byRecipient.get(to.toLowerCase()) ?? 0) + 1);

    // Zero duplicate recipients, and every email belongs to a sent or ambiguous entry.
    expect(Math.max(...byRecipient.values())).toBe(1);
    expect(emails.length).toBeGreaterThan(K);
    // Nothing left in flight; every entry is settled or recorded with a reason.
    expect(entries.filter((e) => e.status === 'queued' || e.status === 'claimed')).toEqual([]);
    const sent = entries.filter((e) => e.status === 'sent');
    const ambiguous = entries.filter((e) => e.status === 'ambiguous');
    const mailedCustomers = new Set<string>();
    for (const e of sent) {
      const address = emailOf.get(e.customerId)!;
      expect(byRecipient.get(address)).toBe(1);
      mailedCustomers.add(e.customerId);
    }
    for (const e of [
      ...ambiguous,
      ...entries.filter((x) => x.status === 'failed' || x.status === 'skipped'),
    ]) {
      expect(e.reason).toBeTruthy();
    }
    // The K-th message went out before the crash: its entry is ambiguous, reported, and not re-sent.
    expect(ambiguous.length).toBeGreaterThanOrEqual(1);
    const ambiguousMailed = ambiguous.filter((e) => byRecipient.get(emailOf.get(e.customerId)!) === 1);
    expect(ambiguousMailed.length).toBeGreaterThanOrEqual(1);
    for (const e of ambiguous)
      expect(byRecipient.get(emailOf.get(e.customerId)!) ?? 0).toBeLessThanOrEqual(1);
    expect(emails.length).toBe(sent.length + ambiguousMailed.length);
    expect(rerun.summary.send.ambiguous ?? 0).toBe(ambiguous.length);
    // Customers who were not chosen got nothing.
    const chosen = new Set(entries.map((e) => e.customerId));
    for (const [id, address] of emailOf) if (!chosen.has(id)) expect(byRecipient.has(address)).toBe(false);
  });

  it('(b) 20 % throttling: every queued entry is sent exactly once in the same run, none left behind', async () => {
    const before = new Set((await emulatorEmails(session)).keys());
    const prng = new Random(2026);
    const random = () => prng.next();
    const stubborn = { address: '', attempts: 0 };
    const throttled = { calls: 0 };
    const ses = sesClient();
    addMiddleware(ses, 'testThrottle', (next, context) => async (args) => {
      if (context.commandName !== 'SendEmailCommand') return next(args);
      const to = (args as { input: { Destination: { ToAddresses: string[] } } }).input.Destination
        .ToAddresses[0]!;
      // One recipient is throttled on every attempt of the first pass (6 tries), so the send stage
      // must release it and come back to it in the same run; everyone else sees 20 % throttling.
      if (stubborn.address === '') stubborn.address = to;
      if (to === stubborn.address && stubborn.attempts++ < 6) {
        throttled.calls += 1;
        throw throttleError();
      }
      if (random() < 0.2) {
        throttled.calls += 1;
        throw throttleError();
      }
      return next(args);
    });
    let result: Awaited<ReturnType<typeof runNight>>;
    try {
      result = await runNight({ runDate: THROTTLE_NIGHT });
    } finally {
      removeMiddleware(ses, 'testThrottle');
    }
    const entries = await ledgerOf(session, THROTTLE_NIGHT);
    const emails = [...(await emulatorEmails(session)).values()].filter((e) => !before.has(e.messageId));
    const recipients = emails.flatMap((e) => e.destination.to.map((t) => t.toLowerCase()));
    const sent = entries.filter((e) => e.status === 'sent');

    expect(throttled.calls).toBeGreaterThan(sent.length * 0.15);
    expect(result.work.ses.throttled).toBe(throttled.calls);
    expect(sent.length).toBeGreaterThan(20);
    expect(new Set(recipients).size).toBe(recipients.length);
    expect(emails.length).toBe(sent.length);
    expect(new Set(sent.map((e) => emailOf.get(e.customerId)))).toEqual(new Set(recipients));
    expect(entries.filter((e) => ['queued', 'claimed', 'ambiguous', 'failed'].includes(e.status))).toEqual(
      [],
    );
    // The stubborn recipient was released once and sent on the second pass over its page.
    expect(stubborn.attempts).toBe(7);
    expect(recipients).toContain(stubborn.address.toLowerCase());
    expect(result.summary.send['retry_later:throttled']).toBe(1);
    expect(result.summary.send.left_queued ?? 0).toBe(0);
    expect(result.summary.send.sent).toBe(sent.length);
  });
});
