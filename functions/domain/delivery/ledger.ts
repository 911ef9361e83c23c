import type { IsoDate } from '../types.js';
import type { NormalizedSesEventType } from './sesEvents.js';

/**
 * The send ledger as the send stage uses it (docs/delivery.md, "The send ledger"): its statuses,
 * the transitions between them, and its key format. Pure; the adapters (`ledgerStore.ts`,
 * `sendStats.ts`) store it and the handlers (`scoreSegment.ts`, `sendSegment.ts`, `sendOne.ts`,
 * `sesEvents.ts`) drive it.
 *
 *   queued ──▶ sent                          (SES accepted it; MessageId stored)
 *      ├─────▶ failed                        (refused for good: invalid address, render error, MessageRejected)
 *      ├─────▶ skipped                       (checked again before sending: suppressed, consent gone, campaign gone)
 *      └─────▶ ambiguous ──evidence──▶ sent | failed   (unknown whether SES took it; never re-sent)
 *   claimed ─▶ ambiguous                     (legacy, see below)
 *   held_out, global_control                 (final when created: chosen, deliberately not sent)
 *
 * Nothing ever goes back to `queued`: an entry leaves it only with an outcome. Throttled or transient
 * failures after all retries, and sends over the daily quota, change nothing (the entry simply stays
 * `queued`, SES provably did not take it). An `ambiguous` entry is never re-sent (at-most-once: SES has
 * no idempotency token); only SES evidence moves it on (`outcomeFromEvidence`).
 */

export type LedgerStatus =
  /** Chosen for sending, no outcome yet. Created by the score stage. */
  | 'queued'
  /**
   * LEGACY: the per-entry claim of the first design (one conditional write per claim). Nothing
   * writes it any more; an entry still in it may or may not have been sent, so it is settled as
   * `ambiguous` (by `sendOne` or when found in an abandoned send intent) and never sent.
   */
  | 'claimed'
  /** SES accepted the message (its MessageId is stored). */
  | 'sent'
  /** Refused for good; nothing was sent. */
  | 'failed'
  /** Unknown whether SES took the message; never re-sent, settled only by evidence. */
  | 'ambiguous'
  /** Chosen, deliberately not sent (campaign holdout). Final when created. */
  | 'held_out'
  /** Chosen, deliberately not sent (global control group). Final when created. */
  | 'global_control'
  /** Checked again right before sending and no longer eligible; nothing was sent. */
  | 'skipped';

/**
 * The allowed status changes. A status with no way out is final. Self-transitions are not listed.
 * The adapter's conditional `transition` refuses anything not listed here.
 */
export const LEDGER_TRANSITIONS = {
  queued: ['sent', 'failed', 'skipped', 'ambiguous'],
  claimed: ['ambiguous'],
  ambiguous: ['sent', 'failed'],
  sent: [],
  failed: [],
  skipped: [],
  held_out: [],
  global_control: [],
} as const satisfies Readonly<Record<LedgerStatus, readonly LedgerStatus[]>>;

/** Every status, in the order of the transition table. */
export const LEDGER_STATUSES = Object.keys(LEDGER_TRANSITIONS) as readonly LedgerStatus[];

/** What the score stage creates an entry as (`scoreSegment.ts`): a send, a holdout, a control. */
export const CREATED_STATUSES = [
  'queued',
  'held_out',
  'global_control',
] as const satisfies readonly LedgerStatus[];

export function canTransition(from: LedgerStatus, to: LedgerStatus): boolean {
  return (LEDGER_TRANSITIONS[from] as readonly LedgerStatus[]).includes(to);
}

/**
 * Statuses with no send outcome stored yet. The send stage stores each outcome with a whole-item Put,
 * which would wipe anything written before it, so SES events never write onto a pending entry; the
 * send stage pages through exactly these.
 */
export const PENDING_STATUSES = ['queued', 'claimed'] as const satisfies readonly LedgerStatus[];

export type PendingStatus = (typeof PENDING_STATUSES)[number];

/** Whether no send outcome is stored yet. Takes any string, as read from the table. */
export function isPending(status: string | undefined): status is PendingStatus {
  return (PENDING_STATUSES as readonly string[]).includes(status as string);
}

/** Final: no transition leads out of it. (`ambiguous` is not final: evidence settles it.) */
export function isFinal(status: LedgerStatus): boolean {
  return LEDGER_TRANSITIONS[status].length === 0;
}

/** A `claimed` entry left by the first design: its outcome is unknown, it is settled as `ambiguous`. */
export function isLegacyClaim(status: LedgerStatus): status is 'claimed' {
  return status === 'claimed';
}

/**
 * The entries of an abandoned send intent (an invocation that wrote the intent and never stored the
 * group's outcomes) that become `ambiguous`: those still pending. The dead attempt may have sent any
 * of them, so none is sent again; the ones with a stored outcome keep it.
 */
export function entriesToSettle<E extends { readonly status: LedgerStatus }>(
  entries: Iterable<E>,
): (E & { readonly status: PendingStatus })[] {
  const out: (E & { readonly status: PendingStatus })[] = [];
  for (const entry of entries) {
    if (isPending(entry.status)) out.push(entry as E & { readonly status: PendingStatus });
  }
  return out;
}

/** Where evidence takes an `ambiguous` entry. */
export type EvidenceOutcome = (typeof LEDGER_TRANSITIONS.ambiguous)[number];

/**
 * What an SES event about an ambiguous entry proves: a `Reject` or `Rendering Failure` means SES
 * took the call but sent nothing (`failed`); any other event (Send, Delivery, Bounce, and opens,
 * clicks, complaints...) exists only for a message that went out (`sent`).
 */
export function outcomeFromEvidence(eventType: NormalizedSesEventType): EvidenceOutcome {
  return eventType === 'reject' || eventType === 'rendering_failure' ? 'failed' : 'sent';
}

/**
 * The ledger key, `<runDate>#<campaignId>#<customerId>`: one entry per decided message, so a re-run
 * of a night finds the same keys and never plans the same message twice.
 *
 * Injective without any escaping: the run date is `YYYY-MM-DD` and campaign ids are slugs
 * (`SLUG_RE` in `functions/domain/campaigns/schema.ts`: lower-case letters, digits and dashes), so
 * neither contains `#`, and the first two `#` of a key always end the run date and the campaign id.
 * Customer ids may contain anything, `#` included, but as the last component they are just the rest
 * of the key after the second `#`: two different triples cannot give the same key.
 */
export function ledgerKey(runDate: IsoDate, campaignId: string, customerId: string): string {
  return `${runDate}#${campaignId}#${customerId}`;
}

/**
 * The `byRunShard` index's partition key: one run date's entries of one send segment, and for a
 * queued email of one wave too (`<runDate>#<waveId>#<segment>`), so a wave's send segment pages
 * only its own entries. Entries never sent (holdouts, controls) keep `<runDate>#<segment>`.
 */
export function runShard(runDate: IsoDate, segment: number, waveId?: string): string {
  return waveId === undefined ? `${runDate}#${segment}` : `${runDate}#${waveId}#${segment}`;
}
