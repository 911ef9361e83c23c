import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import { RunStore, SegmentLeaseLost } from '../../../functions/adapters/runStore.js';
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
