import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import type { LedgerEntry, LedgerStatus } from '../../../functions/adapters/ledgerStore.js';
import { isPendingLedgerStatus, SendFeedbackStore } from '../../../functions/adapters/sendStats.js';
import { type NormalizedSesEvent, parseSesEvent } from '../../../functions/domain/delivery/sesEvents.js';
import { buildSesEventBridgeEvent } from '../../../functions/domain/delivery/simulatedSesEvent.js';
import { openTestSession } from '../../support/localWorld.js';
import { loseNextResponse } from '../../support/lostResponse.js';

// The guarded ledger write of SendFeedbackStore.recordOnLedger on the embedded DynamoDB (dynalite):
// it never writes onto an entry whose send outcome is not recorded yet, and says why it did not write.

const MESSAGE_ID = '0100019a-test-message';

let session: LocalSession;
let close: () => Promise<void>;
let store: SendFeedbackStore;

beforeAll(async () => {
  ({ session, close } = await openTestSession('send-stats'));
  store = new SendFeedbackStore(documentClient(), session.tables);
});
afterAll(async () => {
  await close?.();
});

function item(sendKey: string, status: LedgerStatus, messageId?: string): LedgerEntry {
  return {
    sendKey,
    runShard: '2026-11-20#0',
    runDate: '2026-11-20',
    segment: 0,
    campaignId: 'winback-30',
    campaignVersion: 1,
    segmentId: 'lapsed',
    customerId: sendKey.split('#')[2]!,
    status,
    createdAt: '2026-11-20T01:00:00.000Z',
    ...(messageId === undefined ? {} : { messageId, finishedAt: '2026-11-20T02:00:01.000Z' }),
    expiresAt: 1_900_000_000,
  };
}

async function put(entry: LedgerEntry): Promise<void> {
  await documentClient().send(new PutCommand({ TableName: session.tables.ledger, Item: entry }));
}

async function raw(sendKey: string): Promise<Record<string, unknown> | undefined> {
  const out = await documentClient().send(
    new GetCommand({ TableName: session.tables.ledger, Key: { sendKey }, ConsistentRead: true }),
  );
  return out.Item;
}

function deliveryEvent(at = '2026-11-20T02:00:05.000Z'): NormalizedSesEvent {
  const parsed = parseSesEvent(
    buildSesEventBridgeEvent({
      type: 'delivery',
      messageId: MESSAGE_ID,
      recipient: 'jane@example.com',
      from: 'Shop <offers@shop.example.com>',
      tags: {},
      sentAt: '2026-11-20T02:00:01.000Z',
      at,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.events[0]!;
}

describe('SendFeedbackStore.recordOnLedger', () => {
  it('knows the pending statuses', () => {
    expect(['queued', 'claimed'].every(isPendingLedgerStatus)).toBe(true);
    for (const s of ['sent', 'failed', 'ambiguous', 'skipped', 'held_out', 'global_control', undefined])
      expect(isPendingLedgerStatus(s)).toBe(false);
  });

  it('never writes onto a queued or claimed entry (the condition holds on dynalite), then records once the outcome is there', async () => {
    const event = deliveryEvent();
    for (const status of ['queued', 'claimed'] as const) {
      const key = `2026-11-20#winback-30#P-${status}`;
      await put(item(key, status));
      const before = await raw(key);
      expect(await store.recordOnLedger(key, event)).toBe('pending');
      expect(await raw(key)).toEqual(before);
      // The send stage's outcome Put.
      await put(item(key, 'sent', MESSAGE_ID));
      expect(await store.recordOnLedger(key, event)).toBe('recorded');
      expect(await raw(key)).toMatchObject({
        status: 'sent',
        deliveredAt: event.timestamp,
        sesEvents: new Set([event.eventId]),
      });
      expect(await store.recordOnLedger(key, event)).toBe('duplicate');
    }
  });

  it('tells a duplicate from another message and from a missing entry; records on settled statuses', async () => {
    const event = deliveryEvent('2026-11-20T02:00:06.000Z');
    await put(item('2026-11-20#winback-30#OTHER', 'sent', 'another-message'));
    expect(await store.recordOnLedger('2026-11-20#winback-30#OTHER', event)).toBe('mismatch');
    expect(await store.recordOnLedger('2026-11-20#winback-30#NOBODY', event)).toBe('missing');
    expect(await raw('2026-11-20#winback-30#NOBODY')).toBeUndefined();
    // An ambiguous entry has no MessageId yet and an outcome recorded: evidence may land on it.
    await put(item('2026-11-20#winback-30#AMB', 'ambiguous'));
    expect(await store.recordOnLedger('2026-11-20#winback-30#AMB', event)).toBe('recorded');
    expect(await store.recordOnLedger('2026-11-20#winback-30#AMB', event)).toBe('duplicate');
  });

  it('retries once when the outcome lands between its failed write and the re-read', async () => {
    const key = '2026-11-20#winback-30#RACE';
    await put(item(key, 'queued'));
    const db = documentClient();
    let raced = false;
    // A client whose first ledger update fails on the pending entry, after which the send stage's
    // outcome Put lands before the store reads the entry back.
    const racing = {
      send: async (command: Parameters<typeof db.send>[0]) => {
        try {
          return await db.send(command);
        } catch (error) {
          if (!raced && (command.input as { UpdateExpression?: string }).UpdateExpression) {
            raced = true;
            await put(item(key, 'sent', MESSAGE_ID));
          }
          throw error;
        }
      },
    } as unknown as typeof db;
    const event = deliveryEvent();
    expect(await new SendFeedbackStore(racing, session.tables).recordOnLedger(key, event)).toBe('recorded');
    expect(raced).toBe(true);
    expect(await raw(key)).toMatchObject({
      status: 'sent',
      messageId: MESSAGE_ID,
      deliveredAt: event.timestamp,
    });
  });
});

describe('the seen-event marker, when its response is lost', () => {
  it('is its own marker to the call that wrote it, and a duplicate to the next delivery', async () => {
    const lost = loseNextResponse(documentClient(), 'PutItemCommand');
    try {
      expect(await store.markEvent('evt-lost-response', new Date('2026-11-20T03:00:00Z'))).toBe(true);
      expect(lost.dropped()).toBe(1);
    } finally {
      lost.remove();
    }
    expect(await store.markEvent('evt-lost-response', new Date('2026-11-20T03:05:00Z'))).toBe(false);
  });
});
