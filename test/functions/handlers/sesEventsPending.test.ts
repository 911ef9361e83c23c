import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import type { LedgerEntry, LedgerStatus } from '../../../functions/adapters/ledgerStore.js';
import { SendFeedbackStore } from '../../../functions/adapters/sendStats.js';
import { encodeSendTag } from '../../../functions/domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../../../functions/domain/delivery/sesEvents.js';
import {
  buildSesEventBridgeEvent,
  type SimulatedEventType,
} from '../../../functions/domain/delivery/simulatedSesEvent.js';
import {
  handler,
  LedgerOutcomePending,
  processSesEvents,
  type SesEventsResult,
} from '../../../functions/handlers/sesEvents.js';
import { openTestSession } from '../../support/localWorld.js';

// SES events that arrive before the send stage has recorded the email's outcome (the entry is still
// `queued`, or `claimed` from the earlier design): the outcome is written with a whole-item Put, so
// the handler must not write onto the entry before it, and must not lose the event either.

const RUN_DATE = '2026-11-20';
const CAMPAIGN = 'winback-30';
const SENT_AT = '2026-11-20T02:00:01.000Z';

let session: LocalSession;
let close: () => Promise<void>;
let feedback: SendFeedbackStore;

beforeAll(async () => {
  ({ session, close } = await openTestSession('ses-pending'));
  feedback = new SendFeedbackStore(documentClient(), session.tables);
});
afterAll(async () => {
  await close?.();
});

interface Email {
  sendKey: string;
  customerId: string;
  to: string;
  messageId: string;
}

let nextCustomer = 0;
function email(): Email {
  nextCustomer += 1;
  const customerId = `C${String(nextCustomer).padStart(6, '0')}`;
  return {
    sendKey: `${RUN_DATE}#${CAMPAIGN}#${customerId}`,
    customerId,
    to: `customer${nextCustomer}@example.com`,
    messageId: `0100019a-${customerId.toLowerCase()}-ses`,
  };
}

/** A whole ledger item as the scoring stage creates it and the send stage Puts its outcome. */
function ledgerItem(e: Email, status: LedgerStatus): LedgerEntry {
  const item: LedgerEntry = {
    sendKey: e.sendKey,
    runShard: `${RUN_DATE}#0`,
    runDate: RUN_DATE,
    segment: 0,
    campaignId: CAMPAIGN,
    campaignVersion: 1,
    segmentId: 'lapsed',
    customerId: e.customerId,
    status,
    createdAt: '2026-11-20T01:00:00.000Z',
    expiresAt: 1_900_000_000,
  };
  // A legacy per-entry claim, as the first design stored it.
  if (status === 'claimed') Object.assign(item, { claimedAt: '2026-11-20T02:00:00.000Z' });
  if (status === 'sent') Object.assign(item, { messageId: e.messageId, finishedAt: SENT_AT });
  return item;
}

async function putLedger(e: Email, status: LedgerStatus): Promise<void> {
  await documentClient().send(
    new PutCommand({ TableName: session.tables.ledger, Item: ledgerItem(e, status) }),
  );
}

async function rawLedger(e: Email): Promise<Record<string, unknown> | undefined> {
  const out = await documentClient().send(
    new GetCommand({ TableName: session.tables.ledger, Key: { sendKey: e.sendKey }, ConsistentRead: true }),
  );
  return out.Item;
}

async function suppressed(subject: string): Promise<Record<string, unknown> | undefined> {
  const out = await documentClient().send(
    new GetCommand({ TableName: session.tables.suppression, Key: { subject }, ConsistentRead: true }),
  );
  return out.Item;
}

async function counters(): Promise<Record<string, number>> {
  return (await feedback.getStats(RUN_DATE, CAMPAIGN))?.counters ?? {};
}

function eventFor(e: Email, type: SimulatedEventType, at = '2026-11-20T02:00:04.000Z') {
  return buildSesEventBridgeEvent({
    type,
    messageId: e.messageId,
    recipient: e.to,
    from: 'Shop <offers@shop.example.com>',
    tags: {
      [SES_TAG_NAMES.runDate]: RUN_DATE,
      [SES_TAG_NAMES.campaignId]: CAMPAIGN,
      [SES_TAG_NAMES.segmentId]: 'lapsed',
      [SES_TAG_NAMES.sendId]: encodeSendTag(e.sendKey)!,
    },
    sentAt: SENT_AT,
    at,
  });
}

/** An SQS batch (as Lambda receives it) carrying several EventBridge events. */
function sqsBatch(...events: Record<string, unknown>[]) {
  return {
    Records: events.map((e, i) => ({
      messageId: `sqs-${i}`,
      eventSource: 'aws:sqs',
      body: JSON.stringify(e),
    })),
  };
}

async function expectPending(raw: unknown): Promise<LedgerOutcomePending> {
  const error = await processSesEvents(raw).then(
    (result) => {
      throw new Error(`expected LedgerOutcomePending, got ${JSON.stringify(result)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LedgerOutcomePending);
  return error as LedgerOutcomePending;
}

describe('SES events for a ledger entry whose send outcome is not recorded yet', () => {
  it('apply suppression and counters once, leave the entry alone, fail retryably; the redelivery records it once the outcome is there', async () => {
    const e = email();
    await putLedger(e, 'queued');
    const before = await rawLedger(e);
    const stats = await counters();
    // An unsubscribe-all subscription event: the address and the customer are suppressed.
    const unsubscribe = eventFor(e, 'unsubscribe');

    const first = await expectPending(unsubscribe);
    expect(first.name).toBe('LedgerOutcomePending');
    expect(first.message).toContain(e.sendKey);
    expect(first.message).toMatch(/retried/);
    expect(first.message).not.toContain('\n');
    expect(first.pending).toEqual([
      expect.objectContaining({ sendKey: e.sendKey, status: 'queued', type: 'subscription' }),
    ]);
    expect(first.result).toMatchObject<Partial<SesEventsResult>>({
      events: 1,
      pending: 1,
      counted: 1,
      duplicates: 0,
      suppressed: 2,
      ledgerUpdated: 0,
      unmatched: 0,
    });
    expect(await rawLedger(e)).toEqual(before);
    expect((await counters()).subscription).toBe((stats.subscription ?? 0) + 1);
    expect((await suppressed(`email#${e.to}`))?.reason).toBe('unsubscribed');
    expect((await suppressed(`customer#${e.customerId}`))?.reason).toBe('unsubscribed');

    // Lambda's async retry, still before the outcome: nothing counted twice, still pending.
    const second = await expectPending(structuredClone(unsubscribe));
    expect(second.result).toMatchObject({ pending: 1, counted: 0, duplicates: 1, suppressed: 0 });
    expect(await rawLedger(e)).toEqual(before);

    // The send stage records the outcome with a whole-item Put, as it will in batches.
    await putLedger(e, 'sent');
    const third = await processSesEvents(structuredClone(unsubscribe));
    expect(third).toMatchObject({
      events: 1,
      pending: 0,
      ledgerUpdated: 1,
      counted: 0,
      duplicates: 1,
      suppressed: 0,
    });
    const after = (await rawLedger(e))!;
    expect(after).toMatchObject({
      status: 'sent',
      messageId: e.messageId,
      unsubscribedAt: expect.any(String),
    });
    expect(after.sesEvents).toEqual(new Set([first.pending[0]!.eventId]));
    expect((await counters()).subscription).toBe((stats.subscription ?? 0) + 1);

    // And any later copy is a plain duplicate.
    expect(await processSesEvents(structuredClone(unsubscribe))).toMatchObject({
      ledgerUpdated: 0,
      counted: 0,
      duplicates: 1,
      pending: 0,
    });
    expect(await rawLedger(e)).toEqual(after);
  });

  it('treats a claimed entry (earlier design) as pending too, and a hard bounce still suppresses at once', async () => {
    const e = email();
    await putLedger(e, 'claimed');
    const before = await rawLedger(e);
    const stats = await counters();
    const error = await expectPending(eventFor(e, 'bounce'));
    expect(error.pending[0]).toMatchObject({ sendKey: e.sendKey, status: 'claimed', type: 'bounce' });
    expect(error.result).toMatchObject({ pending: 1, counted: 1, suppressed: 1, ledgerUpdated: 0 });
    expect((await suppressed(`email#${e.to}`))?.reason).toBe('hard_bounce');
    expect(await rawLedger(e)).toEqual(before);
    expect((await counters()).bounce_permanent).toBe((stats.bounce_permanent ?? 0) + 1);
  });

  it('applies the other events of the same input fully and throws for the pending one at the end', async () => {
    const waiting = email();
    const ready = email();
    await putLedger(waiting, 'queued');
    await putLedger(ready, 'sent');
    const before = await rawLedger(waiting);
    const stats = await counters();

    // The pending event first: the ready one after it must still be applied.
    const batch = sqsBatch(
      eventFor(waiting, 'delivery'),
      eventFor(ready, 'open', '2026-11-20T08:00:00.000Z'),
    );
    const error = await expectPending(batch);
    expect(error.pending.map((p) => p.sendKey)).toEqual([waiting.sendKey]);
    expect(error.message).toContain(waiting.sendKey);
    expect(error.message).not.toContain(ready.sendKey);
    expect(error.result).toMatchObject({
      events: 2,
      pending: 1,
      counted: 2,
      ledgerUpdated: 1,
      duplicates: 0,
    });
    expect(await rawLedger(waiting)).toEqual(before);
    expect(await rawLedger(ready)).toMatchObject({
      status: 'sent',
      openCount: 1,
      firstOpenAt: '2026-11-20T08:00:00.000Z',
    });
    const afterFirst = await counters();
    expect(afterFirst.delivery).toBe((stats.delivery ?? 0) + 1);
    expect(afterFirst.open).toBe((stats.open ?? 0) + 1);

    // The whole input is redelivered after the outcome: only the missing ledger part happens.
    await putLedger(waiting, 'sent');
    expect(await processSesEvents(structuredClone(batch))).toMatchObject({
      events: 2,
      pending: 0,
      ledgerUpdated: 1,
      counted: 0,
      duplicates: 2,
    });
    expect(await rawLedger(waiting)).toMatchObject({ status: 'sent', deliveredAt: expect.any(String) });
    expect((await rawLedger(ready))?.openCount).toBe(1);
    expect(await counters()).toEqual(afterFirst);
  });

  it('reaches the Lambda runtime (and `retention events simulate`) as the LedgerOutcomePending error itself', async () => {
    const e = email();
    await putLedger(e, 'queued');
    const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
    const error = await Promise.resolve(handler(eventFor(e, 'send'), context)).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(error).toBeInstanceOf(LedgerOutcomePending);
    expect((error as Error).name).toBe('LedgerOutcomePending');
  });
});
