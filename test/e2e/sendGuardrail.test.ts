import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNight } from '../../cli/local/runNight.js';
import { sesAccountJson } from '../../cli/local/services.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { ReputationCounters, SendingControl } from '../../functions/adapters/sendingControl.js';
import { buildSesEventBridgeEvent } from '../../functions/domain/delivery/simulatedSesEvent.js';
import type { RunSummary } from '../../functions/domain/night/summary.js';
import {
  LedgerOutcomePending,
  processSesEvents,
  type SesEventsResult,
} from '../../functions/handlers/sesEvents.js';
import { openTestSession, seedWithExamples } from '../support/localWorld.js';
import { type RecordedSend, recordSends, scanLedger } from '../support/sesRecorder.js';

// The guardrail end to end: a local night through the real state machine, where every second email
// hard-bounces at once (simulated SES events through the real events handler). Once the bounce rate
// passes 4 % over the minimum volume the kill switch is set, the segments stop before their next
// group and the rest stays queued; after `resume` a re-run of the date sends the rest exactly once.

const RUN_DATE = '2026-11-20';
/** 8/s over 4 segments: groups of 2, so a segment sends at most 2 more after the switch is set. */
const RATE = 8;
const SEGMENTS = 4;
const GROUP = RATE / SEGMENTS;

describe('guardrail: bounces pause sending through the kill switch', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  const sends: RecordedSend[] = [];
  let sendsWhenTripped: number | undefined;
  let bouncing = true;

  const bounce = async (send: RecordedSend) => {
    if (!bouncing || sends.indexOf(send) % 2 !== 1 || !send.messageId) return;
    const tags = Object.fromEntries((send.input.EmailTags ?? []).map((t) => [t.Name ?? '', t.Value ?? '']));
    const event = buildSesEventBridgeEvent({
      type: 'bounce',
      messageId: send.messageId,
      recipient: send.to,
      from: send.input.FromEmailAddress ?? '',
      tags,
      sentAt: new Date().toISOString(),
    });
    let result: SesEventsResult;
    try {
      result = await processSesEvents(event);
    } catch (error) {
      // Expected: the bounce arrives before the send group stored its outcome (counters applied).
      if (!(error instanceof LedgerOutcomePending)) throw error;
      result = error.result;
    }
    if (result.paused && sendsWhenTripped === undefined) sendsWhenTripped = sends.length;
  };

  beforeAll(async () => {
    ({ session, close } = await openTestSession('send-guardrail', {
      MAX_SEND_RATE: String(RATE),
      GUARDRAIL_MIN_SENDS: '4',
      AWS_SES_ACCOUNT: sesAccountJson({ Max24HourSend: 1_000_000, MaxSendRate: 1000, SentLast24Hours: 0 }),
    }));
    await seedWithExamples(session, { customers: 600, seed: 42, asOf: RUN_DATE });
  }, 240_000);
  afterAll(async () => {
    await close?.();
  });

  it('trips, stops the segments, leaves the rest queued; resume and a re-run send the rest once', async () => {
    const stop = recordSends(sends, bounce);
    const control = new SendingControl(documentClient(), session.tables);
    let first: RunSummary;
    let second: RunSummary;
    try {
      first = (await runNight({ runDate: RUN_DATE })).summary;

      // The switch is set, by the guardrail, and says why.
      const sw = await control.get();
      expect(sw.state).toBe('paused');
      expect(sw.setBy).toBe('guardrail:sesEvents');
      expect(sw.reason).toMatch(/^guardrail: bounce rate \d+\.\d\d % passed 4\.00 %/);
      expect(sendsWhenTripped).toBeDefined();
      // Nothing after the stop: at most the rest of the group in flight of each sender (one per send
      // segment of each wave: overlapping waves send at the same time).
      const senders = new Set(
        (await scanLedger(session.tables))
          .filter((e) => e.runDate === RUN_DATE && e.wave)
          .map((e) => `${e.wave}#${e.segment}`),
      ).size;
      expect(senders).toBeGreaterThanOrEqual(SEGMENTS);
      expect(sends.length - (sendsWhenTripped ?? 0)).toBeLessThanOrEqual(senders * GROUP);
      // The summary says paused and why; every segment that still had work stopped.
      expect(first.sending).toMatchObject({ state: 'paused', reason: sw.reason });
      expect(first.send.paused ?? 0).toBeGreaterThanOrEqual(1);
      const afterFirst = await scanLedger(session.tables);
      const queued = afterFirst.filter((e) => e.status === 'queued');
      expect(queued.length).toBeGreaterThan(0);
      expect(afterFirst.filter((e) => e.status === 'sent')).toHaveLength(sends.length);
      expect(afterFirst.some((e) => e.status === 'ambiguous')).toBe(false);
      const totals = await new ReputationCounters(documentClient(), session.tables).totals(new Date(), 24);
      expect(totals.sends).toBe(sends.length);
      expect(totals.bounces).toBe(Math.floor(sends.length / 2));

      // A re-run while paused sends nothing.
      const sentBefore = sends.length;
      await runNight({ runDate: RUN_DATE });
      expect(sends.length).toBe(sentBefore);

      // Resume by hand (the bounces are explained), no more bounces, re-run the date.
      bouncing = false;
      expect(await control.resume('test', new Date())).toBe(true);
      second = (await runNight({ runDate: RUN_DATE })).summary;
    } finally {
      stop();
    }
    expect(second.sending).toBeUndefined();
    const ledger = await scanLedger(session.tables);
    expect(ledger.filter((e) => e.status === 'queued')).toHaveLength(0);
    const sentEntries = ledger.filter((e) => e.status === 'sent');
    // Exactly once: one email per sent entry, no recipient twice across the three runs.
    expect(sends).toHaveLength(sentEntries.length);
    expect(new Set(sends.map((s) => s.to)).size).toBe(sends.length);
    expect(new Set(sentEntries.map((e) => e.messageId)).size).toBe(sentEntries.length);
  }, 240_000);
});
