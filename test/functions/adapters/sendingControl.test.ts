import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import { ReputationCounters, SendingControl } from '../../../functions/adapters/sendingControl.js';
import { SendFeedbackStore } from '../../../functions/adapters/sendStats.js';
import { COUNTER_SHARDS } from '../../../functions/domain/delivery/guardrail.js';
import { openTestSession } from '../../support/localWorld.js';

// The kill switch, the guardrail's sharded counters and the sharded campaign statistics on the
// embedded DynamoDB (dynalite), through the real SDK client.

let session: LocalSession;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ session, close } = await openTestSession('sending-control'));
});
afterAll(async () => {
  await close?.();
});

describe('kill switch', () => {
  it('is active until paused; a pause is set once and keeps the first reason; resume clears it', async () => {
    const control = new SendingControl(documentClient(), session.tables);
    expect((await control.get()).state).toBe('active');
    expect(await control.resume('test', new Date())).toBe(false);
    const at = new Date('2026-12-03T03:00:00Z');
    expect(await control.pause('bounce rate 6 %', 'guardrail:sesEvents', at)).toBe(true);
    expect(await control.pause('alarm BounceRateAlarm', 'guardrail:alarm', new Date())).toBe(false);
    expect(await control.get()).toEqual({
      state: 'paused',
      reason: 'bounce rate 6 %',
      setBy: 'guardrail:sesEvents',
      at: at.toISOString(),
    });
    await expect(control.pause('  ', 'x', new Date())).rejects.toThrow(/needs a reason/);
    expect(await control.resume('cli:ops', new Date())).toBe(true);
    expect((await control.get()).state).toBe('active');
    expect(await control.resume('cli:ops', new Date())).toBe(false);
    // Paused again after a resume: a new trip counts.
    expect(await control.pause('complaints', 'cli:ops', new Date())).toBe(true);
    expect(await control.resume('cli:ops', new Date())).toBe(true);
  });
});

describe('reputation counters', () => {
  it('sums every shard of every hour in the window, and nothing older', async () => {
    const counters = new ReputationCounters(documentClient(), session.tables);
    const now = new Date('2026-12-03T05:30:00Z');
    for (let shard = 0; shard < COUNTER_SHARDS; shard++) await counters.add('sends', 10, now, shard);
    await counters.add('bounces', 3, now, 5);
    await counters.add('complaints', 1, new Date('2026-12-03T01:10:00Z'), 2);
    await counters.add('sends', 1000, new Date('2026-12-01T01:10:00Z'), 0); // outside a 24 h window
    await counters.add('sends', 0, now, 0); // nothing to add: no write
    expect(await counters.totals(now, 24)).toEqual({ sends: 80, bounces: 3, complaints: 1 });
    expect(await counters.totals(now, 1)).toEqual({ sends: 80, bounces: 3, complaints: 0 });
    expect(await counters.totals(now, 72)).toEqual({ sends: 1080, bounces: 3, complaints: 1 });
  });
});

describe('sharded campaign statistics', () => {
  it('spreads the ADDs over shards by message id and reads their sum', async () => {
    const feedback = new SendFeedbackStore(documentClient(), session.tables);
    for (let i = 0; i < 200; i++)
      await feedback.addToStats('2026-12-02', 'winback-30', 'delivery', `msg-${i}`);
    await feedback.addToStats('2026-12-02', 'winback-30', 'open', 'msg-1');
    await feedback.addToStats('2026-12-02', 'winback-30', 'open', 'msg-1');
    expect((await feedback.getStats('2026-12-02', 'winback-30'))?.counters).toEqual({
      delivery: 200,
      open: 2,
    });
    expect(await feedback.getStats('2026-12-02', 'other')).toBeUndefined();
    const items = await documentClient().send(
      new QueryCommand({
        TableName: session.tables.config,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': 'STATS#2026-12-02', ':sk': 'CAMPAIGN#winback-30#' },
      }),
    );
    // Every shard took part, none took everything.
    expect(items.Items?.length).toBe(COUNTER_SHARDS);
    for (const item of items.Items ?? []) expect(item.n_delivery).toBeLessThan(100);
  });
});
