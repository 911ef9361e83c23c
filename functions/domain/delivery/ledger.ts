/**
 * The send ledger: one entry per (run date, campaign, customer), a pure state machine.
 *
 *   queued ──claim──▶ claimed ──sent──────▶ sent        (terminal)
 *     ▲                  │  ├──failed────▶ failed      (terminal, permanent error)
 *     └─────release──────┘  └──ambiguous─▶ ambiguous ──resolve──▶ sent | failed
 *
 * - `queued`: chosen for tonight, not yet attempted.
 * - `claimed`: a worker owns the entry and may be calling SES right now.
 * - `sent`: SES accepted the message (we hold its MessageId).
 * - `failed`: SES refused it permanently (bad address, rejected message); it was not sent.
 * - `ambiguous`: the outcome is unknown. SES may or may not have accepted the message: the worker died
 *   or timed out after the request may have left. Only evidence resolves it (an SES Send/Delivery/Bounce
 *   event tagged with this entry's ids, or an operator).
 *
 * POLICY: AT-MOST-ONCE. SES has no idempotency token, so a resend after an unknown outcome can deliver
 * the same offer twice. A duplicate to a real inbox is worse than a missed retention email, so an
 * ambiguous entry is NEVER resent automatically: `nextAction` reports it, it does not send it. A claim
 * that outlives `claimTimeoutMs` without an outcome is treated the same way (the worker may have died
 * after SES accepted). `release` (claimed → queued) is only legal when the worker KNOWS SES was not
 * called or refused the request outright (throttled, quota exhausted, connection refused).
 *
 * The storage adapter enforces the transitions with conditional writes (e.g. claim only
 * `if state = queued`), this module decides which transitions are legal and what the next step is.
 */

export type LedgerState = 'queued' | 'claimed' | 'sent' | 'failed' | 'ambiguous';

export const LEDGER_STATES: readonly LedgerState[] = ['queued', 'claimed', 'sent', 'failed', 'ambiguous'];

export const TERMINAL_STATES: readonly LedgerState[] = ['sent', 'failed'];

/** Allowed state changes. Self-transitions are not listed; re-applying an identical event is a no-op. */
export const ALLOWED_TRANSITIONS: Readonly<Record<LedgerState, readonly LedgerState[]>> = {
  queued: ['claimed'],
  claimed: ['sent', 'failed', 'ambiguous', 'queued'],
  ambiguous: ['sent', 'failed'],
  sent: [],
  failed: [],
};

export function canTransition(from: LedgerState, to: LedgerState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export interface LedgerEntry {
  key: string;
  runDate: string;
  campaignId: string;
  customerId: string;
  state: LedgerState;
  /** Number of claims taken (each claim is at most one SES call). */
  attempts: number;
  /** Who holds the claim (worker / execution id). */
  claimedBy?: string | undefined;
  /** When the current/last claim was taken (ms since epoch). */
  claimedAt?: number | undefined;
  /** SES MessageId once sent. */
  messageId?: string | undefined;
  /** Why it failed, or why it became ambiguous. */
  reason?: string | undefined;
  updatedAt: number;
}

export type LedgerEvent =
  | { type: 'claim'; at: number; worker: string }
  | { type: 'release'; at: number; worker: string; reason: string }
  | { type: 'sent'; at: number; worker: string; messageId: string }
  | { type: 'failed'; at: number; worker: string; reason: string }
  | { type: 'ambiguous'; at: number; reason: string }
  | { type: 'resolve'; at: number; outcome: 'sent'; messageId: string }
  | { type: 'resolve'; at: number; outcome: 'failed'; reason: string };

export type ApplyResult =
  | { ok: true; entry: LedgerEntry; changed: boolean }
  | { ok: false; reason: 'illegal_transition' | 'not_owner' | 'conflicting_outcome'; from: LedgerState };

export type NextAction = 'send' | 'skip_done' | 'report_ambiguous' | 'wait';

const ISO_DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Deterministic, injective ledger key: `send#<runDate>#<campaignId>#<customerId>` with the ids
 * percent-encoded, so a `#` inside an id cannot make two different triples collide.
 */
export function ledgerKey(runDate: string, campaignId: string, customerId: string): string {
  if (!ISO_DAY_RE.test(runDate)) throw new Error(`runDate must be YYYY-MM-DD: ${runDate}`);
  if (campaignId.length === 0 || customerId.length === 0)
    throw new Error('campaignId and customerId are required');
  return `send#${runDate}#${encodeURIComponent(campaignId)}#${encodeURIComponent(customerId)}`;
}

export function newLedgerEntry(
  runDate: string,
  campaignId: string,
  customerId: string,
  at: number,
): LedgerEntry {
  return {
    key: ledgerKey(runDate, campaignId, customerId),
    runDate,
    campaignId,
    customerId,
    state: 'queued',
    attempts: 0,
    updatedAt: at,
  };
}

function illegal(entry: LedgerEntry): ApplyResult {
  return { ok: false, reason: 'illegal_transition', from: entry.state };
}

/**
 * Applies an event. Pure: returns a new entry, never mutates. Idempotent: re-applying the event that
 * produced the current state (same worker / same messageId / same outcome) returns `changed: false`;
 * a different outcome for a settled entry is `conflicting_outcome`.
 */
export function applyLedgerEvent(entry: LedgerEntry, event: LedgerEvent): ApplyResult {
  const s = entry.state;
  switch (event.type) {
    case 'claim':
      if (s === 'claimed' && entry.claimedBy === event.worker) return { ok: true, entry, changed: false };
      if (s !== 'queued') return illegal(entry);
      return {
        ok: true,
        changed: true,
        entry: {
          ...entry,
          state: 'claimed',
          attempts: entry.attempts + 1,
          claimedBy: event.worker,
          claimedAt: event.at,
          updatedAt: event.at,
        },
      };
    case 'release':
      if (s === 'queued') return { ok: true, entry, changed: false };
      if (s !== 'claimed') return illegal(entry);
      if (entry.claimedBy !== event.worker) return { ok: false, reason: 'not_owner', from: s };
      return {
        ok: true,
        changed: true,
        entry: {
          ...entry,
          state: 'queued',
          claimedBy: undefined,
          claimedAt: undefined,
          reason: event.reason,
          updatedAt: event.at,
        },
      };
    case 'sent':
      if (s === 'sent') {
        return entry.messageId === event.messageId
          ? { ok: true, entry, changed: false }
          : { ok: false, reason: 'conflicting_outcome', from: s };
      }
      if (s === 'failed') return { ok: false, reason: 'conflicting_outcome', from: s };
      if (s !== 'claimed') return illegal(entry);
      if (entry.claimedBy !== event.worker) return { ok: false, reason: 'not_owner', from: s };
      return {
        ok: true,
        changed: true,
        entry: {
          ...entry,
          state: 'sent',
          messageId: event.messageId,
          reason: undefined,
          updatedAt: event.at,
        },
      };
    case 'failed':
      if (s === 'failed') {
        return entry.reason === event.reason
          ? { ok: true, entry, changed: false }
          : { ok: false, reason: 'conflicting_outcome', from: s };
      }
      if (s === 'sent') return { ok: false, reason: 'conflicting_outcome', from: s };
      if (s !== 'claimed') return illegal(entry);
      if (entry.claimedBy !== event.worker) return { ok: false, reason: 'not_owner', from: s };
      return {
        ok: true,
        changed: true,
        entry: { ...entry, state: 'failed', reason: event.reason, updatedAt: event.at },
      };
    case 'ambiguous':
      if (s === 'ambiguous') return { ok: true, entry, changed: false };
      if (s !== 'claimed') return illegal(entry);
      return {
        ok: true,
        changed: true,
        entry: { ...entry, state: 'ambiguous', reason: event.reason, updatedAt: event.at },
      };
    case 'resolve': {
      if (event.outcome === 'sent') {
        if (s === 'sent') {
          return entry.messageId === event.messageId
            ? { ok: true, entry, changed: false }
            : { ok: false, reason: 'conflicting_outcome', from: s };
        }
        if (s === 'failed') return { ok: false, reason: 'conflicting_outcome', from: s };
        if (s !== 'ambiguous') return illegal(entry);
        return {
          ok: true,
          changed: true,
          entry: { ...entry, state: 'sent', messageId: event.messageId, updatedAt: event.at },
        };
      }
      if (s === 'failed') {
        return entry.reason === event.reason
          ? { ok: true, entry, changed: false }
          : { ok: false, reason: 'conflicting_outcome', from: s };
      }
      if (s === 'sent') return { ok: false, reason: 'conflicting_outcome', from: s };
      if (s !== 'ambiguous') return illegal(entry);
      return {
        ok: true,
        changed: true,
        entry: { ...entry, state: 'failed', reason: event.reason, updatedAt: event.at },
      };
    }
  }
}

/**
 * What to do with an entry now:
 * - `send`: queued, claim it and send.
 * - `skip_done`: sent or failed; nothing to do.
 * - `report_ambiguous`: ambiguous, or claimed for at least `claimTimeoutMs` without an outcome
 *   (mark it ambiguous and report it; never resend, see the at-most-once policy above).
 * - `wait`: claimed recently by someone; leave it to them.
 */
export function nextAction(entry: LedgerEntry, now: number, claimTimeoutMs: number): NextAction {
  switch (entry.state) {
    case 'queued':
      return 'send';
    case 'sent':
    case 'failed':
      return 'skip_done';
    case 'ambiguous':
      return 'report_ambiguous';
    case 'claimed': {
      const since = entry.claimedAt ?? entry.updatedAt;
      return now - since >= claimTimeoutMs ? 'report_ambiguous' : 'wait';
    }
  }
}
