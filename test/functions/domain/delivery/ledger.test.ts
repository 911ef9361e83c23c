import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  applyLedgerEvent,
  canTransition,
  LEDGER_STATES,
  type LedgerEntry,
  type LedgerEvent,
  type LedgerState,
  ledgerKey,
  newLedgerEntry,
  nextAction,
  TERMINAL_STATES,
} from '../../../../functions/domain/delivery/ledger.js';

const T0 = 1_700_000_000_000;
const fresh = () => newLedgerEntry('2024-05-17', 'winback', 'cust-1', T0);

function mustApply(entry: LedgerEntry, event: LedgerEvent): LedgerEntry {
  const r = applyLedgerEvent(entry, event);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason} from ${r.from}`);
  return r.entry;
}

const claimed = () => mustApply(fresh(), { type: 'claim', at: T0 + 1, worker: 'w1' });
const sent = () => mustApply(claimed(), { type: 'sent', at: T0 + 2, worker: 'w1', messageId: 'm-1' });
const failed = () =>
  mustApply(claimed(), { type: 'failed', at: T0 + 2, worker: 'w1', reason: 'MessageRejected' });
const ambiguous = () => mustApply(claimed(), { type: 'ambiguous', at: T0 + 2, reason: 'claim timed out' });

const byState: Record<LedgerState, () => LedgerEntry> = { queued: fresh, claimed, sent, failed, ambiguous };

describe('ledgerKey', () => {
  it('is deterministic', () => {
    expect(ledgerKey('2024-05-17', 'winback', 'cust-1')).toBe('send#2024-05-17#winback#cust-1');
    expect(ledgerKey('2024-05-17', 'winback', 'cust-1')).toBe(ledgerKey('2024-05-17', 'winback', 'cust-1'));
  });

  it('cannot be made to collide through separators inside ids', () => {
    expect(ledgerKey('2024-05-17', 'a#b', 'c')).not.toBe(ledgerKey('2024-05-17', 'a', 'b#c'));
  });

  it('is injective (property)', () => {
    const id = fc.string({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(id, id, id, id, (c1, u1, c2, u2) => {
        fc.pre(c1 !== c2 || u1 !== u2);
        expect(ledgerKey('2024-01-01', c1, u1)).not.toBe(ledgerKey('2024-01-01', c2, u2));
      }),
    );
  });

  it('validates its inputs', () => {
    expect(() => ledgerKey('17.05.2024', 'c', 'u')).toThrow(/runDate/);
    expect(() => ledgerKey('2024-05-17', '', 'u')).toThrow();
    expect(() => ledgerKey('2024-05-17', 'c', '')).toThrow();
  });
});

describe('transition table', () => {
  it('matches the documented state machine', () => {
    const edges = LEDGER_STATES.flatMap((from) =>
      LEDGER_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(edges.sort()).toEqual(
      [
        'queued->claimed',
        'claimed->sent',
        'claimed->failed',
        'claimed->ambiguous',
        'claimed->queued',
        'ambiguous->sent',
        'ambiguous->failed',
      ].sort(),
    );
  });

  it('terminal states have no way out', () => {
    for (const s of TERMINAL_STATES) expect(ALLOWED_TRANSITIONS[s]).toEqual([]);
  });

  it('ambiguous never goes back to queued or claimed (no blind resend)', () => {
    expect(canTransition('ambiguous', 'queued')).toBe(false);
    expect(canTransition('ambiguous', 'claimed')).toBe(false);
  });
});

describe('applyLedgerEvent', () => {
  it('new entries are queued with no attempts', () => {
    expect(fresh()).toEqual({
      key: 'send#2024-05-17#winback#cust-1',
      runDate: '2024-05-17',
      campaignId: 'winback',
      customerId: 'cust-1',
      state: 'queued',
      attempts: 0,
      updatedAt: T0,
    });
  });

  it('queued → claimed records the worker, time and attempt', () => {
    expect(claimed()).toMatchObject({ state: 'claimed', claimedBy: 'w1', claimedAt: T0 + 1, attempts: 1 });
  });

  it('claimed → sent stores the message id', () => {
    expect(sent()).toMatchObject({ state: 'sent', messageId: 'm-1', updatedAt: T0 + 2 });
  });

  it('claimed → failed stores the reason', () => {
    expect(failed()).toMatchObject({ state: 'failed', reason: 'MessageRejected' });
  });

  it('claimed → ambiguous stores the reason', () => {
    expect(ambiguous()).toMatchObject({ state: 'ambiguous', reason: 'claim timed out' });
  });

  it('claimed → queued (release) clears the claim but keeps the attempt count', () => {
    const released = mustApply(claimed(), { type: 'release', at: T0 + 3, worker: 'w1', reason: 'throttled' });
    expect(released).toMatchObject({
      state: 'queued',
      attempts: 1,
      claimedBy: undefined,
      claimedAt: undefined,
    });
    const again = mustApply(released, { type: 'claim', at: T0 + 4, worker: 'w2' });
    expect(again).toMatchObject({ state: 'claimed', attempts: 2, claimedBy: 'w2' });
  });

  it('ambiguous → sent / failed on evidence', () => {
    expect(
      mustApply(ambiguous(), { type: 'resolve', at: T0 + 9, outcome: 'sent', messageId: 'm-9' }),
    ).toMatchObject({
      state: 'sent',
      messageId: 'm-9',
    });
    expect(
      mustApply(ambiguous(), { type: 'resolve', at: T0 + 9, outcome: 'failed', reason: 'operator' }),
    ).toMatchObject({ state: 'failed', reason: 'operator' });
  });

  it('does not mutate its input', () => {
    const e = claimed();
    const copy = structuredClone(e);
    applyLedgerEvent(e, { type: 'sent', at: T0 + 5, worker: 'w1', messageId: 'x' });
    expect(e).toEqual(copy);
  });

  it('a second worker cannot claim, send, fail or release an entry it does not hold', () => {
    const e = claimed();
    expect(applyLedgerEvent(e, { type: 'claim', at: T0 + 5, worker: 'w2' })).toMatchObject({
      ok: false,
      reason: 'illegal_transition',
    });
    for (const ev of [
      { type: 'sent', at: T0 + 5, worker: 'w2', messageId: 'm' },
      { type: 'failed', at: T0 + 5, worker: 'w2', reason: 'r' },
      { type: 'release', at: T0 + 5, worker: 'w2', reason: 'r' },
    ] as LedgerEvent[]) {
      expect(applyLedgerEvent(e, ev)).toEqual({ ok: false, reason: 'not_owner', from: 'claimed' });
    }
  });

  describe('idempotence: re-applying the same event is a no-op', () => {
    it.each<[string, () => LedgerEntry, LedgerEvent]>([
      ['claim', claimed, { type: 'claim', at: T0 + 50, worker: 'w1' }],
      ['sent', sent, { type: 'sent', at: T0 + 50, worker: 'w1', messageId: 'm-1' }],
      ['failed', failed, { type: 'failed', at: T0 + 50, worker: 'w1', reason: 'MessageRejected' }],
      ['ambiguous', ambiguous, { type: 'ambiguous', at: T0 + 50, reason: 'again' }],
      ['release', fresh, { type: 'release', at: T0 + 50, worker: 'w1', reason: 'x' }],
      ['resolve sent', sent, { type: 'resolve', at: T0 + 50, outcome: 'sent', messageId: 'm-1' }],
      [
        'resolve failed',
        failed,
        { type: 'resolve', at: T0 + 50, outcome: 'failed', reason: 'MessageRejected' },
      ],
    ])('%s', (_label, make, event) => {
      const e = make();
      const r = applyLedgerEvent(e, event);
      expect(r).toEqual({ ok: true, entry: e, changed: false });
    });
  });

  it('refuses a different outcome for a settled entry', () => {
    expect(
      applyLedgerEvent(sent(), { type: 'sent', at: T0, worker: 'w1', messageId: 'other' }),
    ).toMatchObject({
      ok: false,
      reason: 'conflicting_outcome',
    });
    expect(applyLedgerEvent(sent(), { type: 'failed', at: T0, worker: 'w1', reason: 'x' })).toMatchObject({
      ok: false,
      reason: 'conflicting_outcome',
    });
    expect(applyLedgerEvent(failed(), { type: 'sent', at: T0, worker: 'w1', messageId: 'm' })).toMatchObject({
      ok: false,
      reason: 'conflicting_outcome',
    });
    expect(
      applyLedgerEvent(failed(), { type: 'resolve', at: T0, outcome: 'sent', messageId: 'm' }),
    ).toMatchObject({
      ok: false,
      reason: 'conflicting_outcome',
    });
    expect(
      applyLedgerEvent(sent(), { type: 'resolve', at: T0, outcome: 'failed', reason: 'x' }),
    ).toMatchObject({
      ok: false,
      reason: 'conflicting_outcome',
    });
  });

  it.each<[LedgerState, LedgerEvent]>([
    ['queued', { type: 'sent', at: T0, worker: 'w1', messageId: 'm' }],
    ['queued', { type: 'failed', at: T0, worker: 'w1', reason: 'r' }],
    ['queued', { type: 'ambiguous', at: T0, reason: 'r' }],
    ['queued', { type: 'resolve', at: T0, outcome: 'sent', messageId: 'm' }],
    ['claimed', { type: 'resolve', at: T0, outcome: 'sent', messageId: 'm' }],
    ['claimed', { type: 'resolve', at: T0, outcome: 'failed', reason: 'r' }],
    ['ambiguous', { type: 'claim', at: T0, worker: 'w1' }],
    ['ambiguous', { type: 'release', at: T0, worker: 'w1', reason: 'r' }],
    ['ambiguous', { type: 'sent', at: T0, worker: 'w1', messageId: 'm' }],
    ['sent', { type: 'claim', at: T0, worker: 'w1' }],
    ['sent', { type: 'release', at: T0, worker: 'w1', reason: 'r' }],
    ['sent', { type: 'ambiguous', at: T0, reason: 'r' }],
    ['failed', { type: 'claim', at: T0, worker: 'w1' }],
    ['failed', { type: 'ambiguous', at: T0, reason: 'r' }],
  ])('from %s rejects %j', (state, event) => {
    const r = applyLedgerEvent(byState[state](), event);
    expect(r.ok).toBe(false);
  });

  it('every successful change follows the transition table; terminal states are never left (property)', () => {
    const worker = fc.constantFrom('w1', 'w2');
    const eventArb: fc.Arbitrary<LedgerEvent> = fc.oneof(
      worker.map((w) => ({ type: 'claim' as const, at: T0, worker: w })),
      worker.map((w) => ({ type: 'release' as const, at: T0, worker: w, reason: 'r' })),
      fc.tuple(worker, fc.constantFrom('m1', 'm2')).map(([w, m]) => ({
        type: 'sent' as const,
        at: T0,
        worker: w,
        messageId: m,
      })),
      worker.map((w) => ({ type: 'failed' as const, at: T0, worker: w, reason: 'r' })),
      fc.constant({ type: 'ambiguous' as const, at: T0, reason: 'r' }),
      fc
        .constantFrom('m1', 'm2')
        .map((m) => ({ type: 'resolve' as const, at: T0, outcome: 'sent' as const, messageId: m })),
      fc.constant({ type: 'resolve' as const, at: T0, outcome: 'failed' as const, reason: 'r' }),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        let e = fresh();
        let claims = 0;
        for (const ev of events) {
          const r = applyLedgerEvent(e, ev);
          if (!r.ok) continue;
          if (r.changed) {
            expect(canTransition(e.state, r.entry.state)).toBe(true);
            if (r.entry.state === 'claimed') claims++;
          } else {
            expect(r.entry).toBe(e);
          }
          if (TERMINAL_STATES.includes(e.state)) expect(r.entry.state).toBe(e.state);
          e = r.entry;
        }
        expect(e.attempts).toBe(claims);
      }),
      { numRuns: 300 },
    );
  });
});

describe('nextAction', () => {
  const timeout = 15 * 60_000;

  it('queued → send', () => {
    expect(nextAction(fresh(), T0, timeout)).toBe('send');
  });

  it('sent and failed → skip_done', () => {
    expect(nextAction(sent(), T0 + 10 * timeout, timeout)).toBe('skip_done');
    expect(nextAction(failed(), T0 + 10 * timeout, timeout)).toBe('skip_done');
  });

  it('ambiguous → report_ambiguous, never send', () => {
    expect(nextAction(ambiguous(), T0, timeout)).toBe('report_ambiguous');
    expect(nextAction(ambiguous(), T0 + 100 * timeout, timeout)).toBe('report_ambiguous');
  });

  it('claimed → wait until the claim times out, then report_ambiguous (not send)', () => {
    const e = claimed();
    expect(nextAction(e, T0 + 1, timeout)).toBe('wait');
    expect(nextAction(e, T0 + timeout, timeout)).toBe('wait');
    expect(nextAction(e, T0 + 1 + timeout, timeout)).toBe('report_ambiguous');
    expect(nextAction(e, T0 + 1 + 10 * timeout, timeout)).toBe('report_ambiguous');
  });

  it('uses updatedAt when claimedAt is missing', () => {
    const e: LedgerEntry = { ...claimed(), claimedAt: undefined, updatedAt: T0 };
    expect(nextAction(e, T0 + timeout - 1, timeout)).toBe('wait');
    expect(nextAction(e, T0 + timeout, timeout)).toBe('report_ambiguous');
  });

  it('never answers send for anything but queued (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LEDGER_STATES),
        fc.integer({ min: 0, max: 10 * timeout }),
        (state, dt) => {
          const action = nextAction(byState[state](), T0 + dt, timeout);
          expect(action === 'send').toBe(state === 'queued');
        },
      ),
    );
  });
});
