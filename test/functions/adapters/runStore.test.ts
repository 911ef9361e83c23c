import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import { RunStore, SegmentLeaseLost, type SegmentProgress } from '../../../functions/adapters/runStore.js';
import { workCounts } from '../../../functions/adapters/workCounters.js';
import { openTestSession } from '../../support/localWorld.js';
import { loseNextResponse } from '../../support/lostResponse.js';

const NIGHT = '2026-05-01';

describe('segment progress as a lease (embedded DynamoDB)', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  let runs: RunStore;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('run-store'));
    runs = new RunStore(documentClient(), session.tables);
  });

  afterAll(async () => {
    await close?.();
  });

  it('a save based on a stale read fails and changes nothing', async () => {
    const first = await runs.takeLease(NIGHT, 'send', 1);
    expect(first).toMatchObject({ invocations: 1, writes: 1 });
    const second = await runs.takeLease(NIGHT, 'send', 1);
    expect(second).toMatchObject({ invocations: 2, writes: 2 });
    // The first invocation is still running and tries to record a send intent: it lost the segment.
    await expect(
      runs.commitProgress(NIGHT, { ...first, intent: { invocation: 1, at: 'now', sendKeys: ['k1'] } }, first),
    ).rejects.toBeInstanceOf(SegmentLeaseLost);
    const stored = await runs.getProgress(NIGHT, 'send', 1);
    expect(stored).toMatchObject({ invocations: 2, writes: 2 });
    expect(stored.intent).toBeUndefined();
    // The holder's own saves go on.
    const saved = await runs.commitProgress(NIGHT, { ...second, counts: { 'send:sent': 3 } }, second);
    expect(saved.writes).toBe(3);
    expect((await runs.getProgress(NIGHT, 'send', 1)).counts).toEqual({ 'send:sent': 3 });
  });

  it('taking the lease retries when another invocation saves between the read and the save', async () => {
    const holder = await runs.takeLease(NIGHT, 'score', 2);
    let interfered = false;
    const sleeps: number[] = [];
    // An earlier invocation saves a page right after the new one read the record, once.
    const racing = new RunStore(documentClient(), session.tables);
    const originalGet = racing.getProgress.bind(racing);
    racing.getProgress = async (...args) => {
      const read = await originalGet(...args);
      if (!interfered) {
        interfered = true;
        await runs.commitProgress(NIGHT, { ...holder, counts: { page: 1 } }, holder);
      }
      return read;
    };
    const taken = await racing.takeLease(NIGHT, 'score', 2, {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    });
    expect(sleeps).toHaveLength(1);
    expect(taken).toMatchObject({ invocations: 2, writes: 3, counts: { page: 1 } });
  });

  it('gives up after the attempts it was given', async () => {
    const racing = new RunStore(documentClient(), session.tables);
    const originalGet = racing.getProgress.bind(racing);
    racing.getProgress = async (...args) => {
      const read = await originalGet(...args);
      // Someone else saves after every read.
      await runs.commitProgress(NIGHT, { ...read }, read);
      return read;
    };
    await expect(
      racing.takeLease(NIGHT, 'score', 3, { attempts: 3, sleep: async () => undefined }),
    ).rejects.toBeInstanceOf(SegmentLeaseLost);
  });

  it('each wave of a segment is a lease of its own, listed with the send phase', async () => {
    const morning = '2026-05-01T08:00Z/2026-05-01T10:00Z';
    const evening = '2026-05-01T14:00Z/2026-05-01T16:00Z';
    const a = await runs.takeLease(NIGHT, 'send', 2, { wave: morning });
    const b = await runs.takeLease(NIGHT, 'send', 2, { wave: evening });
    expect(a).toMatchObject({ wave: morning, invocations: 1 });
    expect(b).toMatchObject({ wave: evening, invocations: 1 });
    // Saves of one wave's lease do not disturb the other's.
    const savedA = await runs.commitProgress(NIGHT, { ...a, counts: { 'send:sent': 1 } }, a);
    await runs.commitProgress(NIGHT, { ...b, counts: { 'send:sent': 2 } }, b);
    await expect(runs.commitProgress(NIGHT, { ...a, done: true }, a)).rejects.toBeInstanceOf(
      SegmentLeaseLost,
    );
    expect(savedA.writes).toBe(2);
    expect((await runs.getProgress(NIGHT, 'send', 2, morning)).counts).toEqual({ 'send:sent': 1 });
    expect((await runs.getProgress(NIGHT, 'send', 2)).invocations).toBe(0);
    const listed = (await runs.listProgress(NIGHT, 'send')).filter((p) => p.segment === 2);
    expect(listed.map((p) => p.wave).sort()).toEqual([morning, evening]);
  });

  it('a finished segment is returned as it is, without a save', async () => {
    const taken = await runs.takeLease(NIGHT, 'send', 4);
    await runs.commitProgress(NIGHT, { ...taken, done: true }, taken);
    const again = await runs.takeLease(NIGHT, 'send', 4);
    expect(again).toMatchObject({ done: true, invocations: 1, writes: 2 });
  });
});

describe('a save whose response was lost (embedded DynamoDB)', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('run-store-lost'));
  });

  afterAll(async () => {
    await close?.();
  });

  it('is recognised as its own when the SDK sends it again, not taken for another invocation', async () => {
    const runs = new RunStore(documentClient(), session.tables);
    const taken = await runs.takeLease(NIGHT, 'score', 1);
    const retriesBefore = workCounts.dynamodb.sdkRetries;
    const lost = loseNextResponse(documentClient(), 'PutItemCommand');
    try {
      const saved = await runs.commitProgress(
        NIGHT,
        { ...taken, lastKey: { customerId: 'C1' }, counts: { page: 1 } },
        taken,
      );
      expect(lost.dropped()).toBe(1);
      // The work counters see the SDK's second attempt (the load bench prints them).
      expect(workCounts.dynamodb.sdkRetries - retriesBefore).toBe(1);
      expect(saved).toMatchObject({ writes: 2, lastKey: { customerId: 'C1' } });
    } finally {
      lost.remove();
    }
    const stored = await runs.getProgress(NIGHT, 'score', 1);
    expect(stored).toMatchObject({ writes: 2, invocations: 1, counts: { page: 1 } });
  });

  it('taking the lease counts the invocation once', async () => {
    const runs = new RunStore(documentClient(), session.tables);
    const lost = loseNextResponse(documentClient(), 'PutItemCommand');
    try {
      expect(await runs.takeLease(NIGHT, 'send', 1)).toMatchObject({ invocations: 1, writes: 1 });
      expect(lost.dropped()).toBe(1);
    } finally {
      lost.remove();
    }
    // A real conflict still fails: a save based on the record before that lease.
    const stale = { phase: 'send' as const, segment: 1, done: false, counts: {}, invocations: 0, writes: 0 };
    await expect(runs.commitProgress(NIGHT, { ...stale, done: true }, stale)).rejects.toBeInstanceOf(
      SegmentLeaseLost,
    );
  });
});

describe('a progress record older than the invocation’s own last save (embedded DynamoDB)', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  let runs: RunStore;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('run-store-stale'));
    runs = new RunStore(documentClient(), session.tables);
  });

  afterAll(async () => {
    await close?.();
  });

  /** What the embedded database did at 1,000,000 customers: serve an older save as the latest. */
  async function revertTo(record: SegmentProgress): Promise<void> {
    await documentClient().send(
      new PutCommand({
        TableName: session.tables.config,
        Item: { pk: `RUN#${NIGHT}`, sk: `SCORE#${String(record.segment).padStart(6, '0')}`, ...record },
      }),
    );
  }

  it('is saved over with this invocation’s newer state, and counted', async () => {
    const taken = await runs.takeLease(NIGHT, 'score', 1);
    const page1 = await runs.commitProgress(
      NIGHT,
      { ...taken, lastKey: { customerId: 'C100' }, counts: { 'work:scored': 100 } },
      taken,
    );
    const page2 = await runs.commitProgress(
      NIGHT,
      { ...page1, lastKey: { customerId: 'C200' }, counts: { 'work:scored': 200 } },
      page1,
    );
    await revertTo(page1);
    const before = workCounts.dynamodb.staleProgressRecords;
    const page3 = await runs.commitProgress(
      NIGHT,
      { ...page2, lastKey: { customerId: 'C300' }, counts: { 'work:scored': 300 } },
      page2,
    );
    expect(workCounts.dynamodb.staleProgressRecords - before).toBe(1);
    expect(page3).toMatchObject({
      writes: page2.writes! + 1,
      invocations: 1,
      lastKey: { customerId: 'C300' },
    });
    expect(await runs.getProgress(NIGHT, 'score', 1)).toMatchObject({
      writes: page3.writes,
      writeId: page3.writeId,
      lastKey: { customerId: 'C300' },
      counts: { 'work:scored': 300 },
    });
    // The saves go on from the record saved over.
    const page4 = await runs.commitProgress(NIGHT, { ...page3, done: true }, page3);
    expect(page4).toMatchObject({ writes: page3.writes! + 1, done: true });
  });

  it('keeps counting saves from its own, so a second revert to any older version is seen too', async () => {
    const taken = await runs.takeLease(NIGHT, 'score', 5);
    const page1 = await runs.commitProgress(NIGHT, { ...taken, counts: { 'work:scored': 100 } }, taken);
    const page2 = await runs.commitProgress(NIGHT, { ...page1, counts: { 'work:scored': 200 } }, page1);
    await revertTo(page1);
    const page3 = await runs.commitProgress(NIGHT, { ...page2, counts: { 'work:scored': 300 } }, page2);
    // A version saved before the first revert, now served again: it must not pass as the latest.
    await revertTo(page2);
    const before = workCounts.dynamodb.staleProgressRecords;
    const page4 = await runs.commitProgress(NIGHT, { ...page3, counts: { 'work:scored': 400 } }, page3);
    expect(workCounts.dynamodb.staleProgressRecords - before).toBe(1);
    expect(page4.writes).toBe(page3.writes! + 1);
    expect(await runs.getProgress(NIGHT, 'score', 5)).toMatchObject({
      writeId: page4.writeId,
      counts: { 'work:scored': 400 },
    });
  });

  it('still loses the segment to an invocation that took the lease', async () => {
    const first = await runs.takeLease(NIGHT, 'score', 2);
    const page1 = await runs.commitProgress(NIGHT, { ...first, counts: { page: 1 } }, first);
    // A second invocation takes over and saves; the first one's view is older, but of another
    // invocation: a real conflict, not a stale record.
    const second = await runs.takeLease(NIGHT, 'score', 2);
    expect(second.invocations).toBe(2);
    const before = workCounts.dynamodb.staleProgressRecords;
    await expect(runs.commitProgress(NIGHT, { ...page1, counts: { page: 2 } }, page1)).rejects.toThrow(
      /saved by another invocation since this one read it \(this save expected save 2 of invocation 1; the record holds save 3 of invocation 2/,
    );
    expect(workCounts.dynamodb.staleProgressRecords - before).toBe(0);
    expect(await runs.getProgress(NIGHT, 'score', 2)).toMatchObject({ invocations: 2, writes: 3 });
  });

  it('is not saved over when an older record is of an earlier invocation', async () => {
    const first = await runs.takeLease(NIGHT, 'score', 3);
    const page1 = await runs.commitProgress(NIGHT, { ...first, counts: { page: 1 } }, first);
    const second = await runs.takeLease(NIGHT, 'score', 3);
    const page2 = await runs.commitProgress(NIGHT, { ...second, counts: { page: 2 } }, second);
    // The store goes back to the first invocation's save: the second cannot tell whether a third
    // invocation exists, so it does not claim the record.
    await revertTo(page1);
    await expect(runs.commitProgress(NIGHT, { ...page2, counts: { page: 3 } }, page2)).rejects.toBeInstanceOf(
      SegmentLeaseLost,
    );
    expect(await runs.getProgress(NIGHT, 'score', 3)).toMatchObject({
      writes: page1.writes,
      counts: { page: 1 },
    });
  });
});
