import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext, runNight } from '../../cli/local/runNight.js';
import { sesAccountJson } from '../../cli/local/services.js';
import type { LocalSession } from '../../cli/local/session.js';
import { maxInWindow, sendWindowBound } from '../../functions/domain/delivery/sendPacing.js';
import type { SegmentOutput } from '../../functions/handlers/segmentInput.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';
import { cloneQueued, type RecordedSend, recordSends, scanLedger } from '../support/sesRecorder.js';

// The pacing proof of docs/delivery.md: N send segments at once (as the send Map runs them), each
// taking its share of the account's rate, against the SES emulator. From the send timestamps, no
// 1-second window holds more than the rate plus the documented burst allowance (one per segment).
// Slowness of this machine can only lower the counts, never raise them.

const RUN_DATE = '2026-11-20';
const RATE = 40;
const SEGMENTS = [50, 51, 52, 53];
const TOTAL_SEGMENTS = 60;
const PER_SEGMENT = 45;
/** One wide wave, so the window check always passes (the simulated clock jumps to its opening). */
const WAVE = {
  waveId: `${RUN_DATE}T08:00Z/${RUN_DATE}T20:00Z`,
  opensAt: `${RUN_DATE}T08:00:00.000Z`,
  closesAt: `${RUN_DATE}T20:00:00.000Z`,
};

describe('send pacing across parallel segments', () => {
  let session: LocalSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ session, close } = await openTestSession('send-pacing', {
      MAX_SEND_RATE: '1000',
      SEND_CONCURRENCY: String(SEGMENTS.length),
      AWS_SES_ACCOUNT: sesAccountJson({ Max24HourSend: 1_000_000, MaxSendRate: RATE, SentLast24Hours: 0 }),
    }));
    await seedWithExamples(session, { customers: 600, seed: 7, asOf: RUN_DATE });
    await runNight({ runDate: RUN_DATE });
  }, 240_000);
  afterAll(async () => {
    await close?.();
  });

  it(`${SEGMENTS.length} segments at once stay within ${RATE}/s + ${SEGMENTS.length} in every 1-second window`, async () => {
    const queued = await cloneQueued(
      session.tables,
      RUN_DATE,
      PER_SEGMENT * SEGMENTS.length,
      SEGMENTS,
      WAVE.waveId,
    );
    const sends: RecordedSend[] = [];
    const stop = recordSends(sends);
    const { handler } = (await import('../../functions/handlers/sendSegment.js')) as {
      handler: (e: unknown, c: Context) => Promise<SegmentOutput>;
    };
    try {
      await Promise.all(
        SEGMENTS.map(async (segment) => {
          let out: SegmentOutput;
          do {
            out = await handler(
              { runDate: RUN_DATE, segment, totalSegments: TOTAL_SEGMENTS, wave: WAVE },
              localContext('sendSegment', 15 * 60_000),
            );
          } while (!out.done);
        }),
      );
    } finally {
      stop();
    }
    // Every clone sent exactly once.
    expect(sends).toHaveLength(queued.length);
    expect(new Set(sends.map((s) => s.to)).size).toBe(queued.length);
    const keys = new Set(queued.map((q) => q.sendKey));
    const ledger = (await scanLedger(session.tables)).filter((e) => keys.has(e.sendKey));
    expect(ledger.every((e) => e.status === 'sent')).toBe(true);

    const times = sends.map((s) => s.at);
    const peak = maxInWindow(times, 1000);
    const bound = sendWindowBound(RATE, SEGMENTS.length, 1);
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    process.stdout.write(
      `pacing: ${sends.length} sends over ${seconds.toFixed(2)} s (${(sends.length / seconds).toFixed(1)}/s); busiest 1-s window ${peak} (bound ${bound}); busiest 2-s window ${maxInWindow(times, 2000)} (bound ${sendWindowBound(RATE, SEGMENTS.length, 2)})\n`,
    );
    expect(peak).toBeLessThanOrEqual(bound);
    expect(maxInWindow(times, 2000)).toBeLessThanOrEqual(sendWindowBound(RATE, SEGMENTS.length, 2));
    // The whole run cannot beat the rate either (first sends of each segment are the allowance).
    expect(sends.length).toBeLessThanOrEqual(RATE * seconds + SEGMENTS.length + 1);
  }, 120_000);
});
