import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext, runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient, sesClient } from '../../functions/adapters/clients.js';
import type { LedgerEntry } from '../../functions/adapters/ledgerStore.js';
import { RunStore } from '../../functions/adapters/runStore.js';
import { parseWaveId } from '../../functions/domain/delivery/sendWaves.js';
import type { SegmentOutput } from '../../functions/handlers/segmentInput.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';

// Two invocations of one send segment at the same time (a task retried while the first attempt
// still runs): the segment's progress record is the lease, and the send intent keeps the second
// attempt from sending what the first may be sending. Nobody gets an email twice.

const NIGHT = '2026-11-20';
const TOTAL_SEGMENTS = 4;

type Handler = (event: unknown, context: Context) => Promise<SegmentOutput>;

async function ledgerOf(session: LocalSession): Promise<LedgerEntry[]> {
  const out = await documentClient().send(new ScanCommand({ TableName: session.tables.ledger }));
  return ((out.Items ?? []) as LedgerEntry[]).filter((e) => e.runDate === NIGHT);
}

async function recipients(session: LocalSession): Promise<string[]> {
  const res = await fetch(`${session.services.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: { destination: { to: string[] } }[] };
  return emails.flatMap((e) => e.destination.to.map((t) => t.toLowerCase()));
}

describe('one send segment, two invocations at once', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // 8 sends/s over 4 segments: groups of 2, so a segment's wave takes several groups.
    ({ session, close } = await openTestSession('send-lease', { MAX_SEND_RATE: '8' }));
    await seedWithExamples(session, { customers: 600, seed: 5, asOf: NIGHT });
    // Score and decide, but leave every send segment untouched: the ledger stays queued.
    await runNight({
      runDate: NIGHT,
      wrapHandler: (name, handler) =>
        name === 'sendSegment' ? async (event: unknown) => ({ ...(event as object), done: true }) : handler,
    });
  }, 120_000);

  afterAll(async () => {
    await close?.();
  });

  it('the later invocation takes the lease, never sends the earlier one’s intent, and nobody is mailed twice', async () => {
    const queued = (await ledgerOf(session)).filter((e) => e.status === 'queued');
    // One send segment of one wave is one lease: take the largest.
    const byLease = Map.groupBy(queued, (e) => `${e.wave}#${e.segment}`);
    const [, entries] = [...byLease].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(entries.length).toBeGreaterThanOrEqual(5);
    const { segment, wave: waveId } = entries[0]!;
    const window = parseWaveId(waveId!)!;
    const wave = {
      waveId: waveId!,
      opensAt: new Date(window.opensAt).toISOString(),
      closesAt: new Date(window.closesAt).toISOString(),
    };

    const { handler } = (await import('../../functions/handlers/sendSegment.js')) as { handler: Handler };
    const runs = new RunStore(documentClient(), session.tables);
    const event = { runDate: NIGHT, segment, totalSegments: TOTAL_SEGMENTS, wave };
    let second: Promise<SegmentOutput> | undefined;
    const ses = sesClient();
    // The first SendEmail of the first invocation waits until a second invocation has taken the lease.
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendEmailCommand' && second === undefined) {
          second = handler(event, localContext('sendSegment', 15 * 60_000));
          for (let i = 0; i < 200; i++) {
            if ((await runs.getProgress(NIGHT, 'send', segment, waveId)).invocations >= 2) break;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'testSecondInvocation' },
    );
    let firstError: unknown;
    try {
      await handler(event, localContext('sendSegment', 15 * 60_000)).catch((error: unknown) => {
        firstError = error;
      });
      let out = await second!;
      while (!out.done) out = await handler(event, localContext('sendSegment', 15 * 60_000));
    } finally {
      ses.middlewareStack.remove('testSecondInvocation');
    }

    expect((firstError as Error | undefined)?.name).toBe('SegmentLeaseLost');
    const mine = (await ledgerOf(session)).filter((e) => e.segment === segment && e.wave === waveId);
    const to = await recipients(session);
    expect(new Set(to).size).toBe(to.length);
    expect(mine.filter((e) => e.status === 'queued' || e.status === 'claimed')).toEqual([]);
    const progress = await runs.getProgress(NIGHT, 'send', segment, waveId);
    expect(progress.done).toBe(true);
    expect(progress.intent).toBeUndefined();
    // The first invocation's group went out under its intent (the second marked it ambiguous and never
    // sent it; the first then stored `sent` over that); the second sent the rest of the segment.
    const sent = mine.filter((e) => e.status === 'sent');
    expect(to.length).toBe(sent.length);
    expect(sent.length).toBeGreaterThan(3);
    expect(progress.counts['send:ambiguous'] ?? 0).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
