import type { CustomerSendView } from '../adapters/customerStore.js';
import type { LedgerEntry } from '../adapters/ledgerStore.js';
import type { SuppressionReason } from '../adapters/suppressionStore.js';
import { workCounts } from '../adapters/workCounters.js';
import { unsubscribeBaseUrl } from '../config.js';
import { senderDisplayName } from '../domain/campaigns/render.js';
import { redactEmails, validateEmail } from '../domain/delivery/emailAddress.js';
import { listUnsubscribeHeaders } from '../domain/delivery/headers.js';
import { canTransition, isLegacyClaim } from '../domain/delivery/ledger.js';
import {
  classifySesError,
  describeSesError,
  retryWithBackoff,
  type SendRateLimiter,
} from '../domain/delivery/sendRate.js';
import { encodeSendTag } from '../domain/delivery/sendTag.js';
import { SES_TAG_NAMES } from '../domain/delivery/sesEvents.js';
import {
  signUnsubscribeToken,
  type UnsubscribeKeyRing,
  unsubscribeUrl,
} from '../domain/delivery/unsubscribeToken.js';
import { type NightContext, renderDecidedEmail } from '../domain/night/context.js';
import { stillEligible } from '../domain/night/decideCustomer.js';
import { type Deps, logger } from './deps.js';

/**
 * What became of one queued ledger entry:
 * - `final`: an outcome to store (sent, failed, skipped, ambiguous); `undoContact` when the customer
 *   was not mailed after all, so the contact history recorded at decision time is given back;
 * - `released`: SES provably did not take it (throttled or transient after all retries): it stays
 *   queued and the page is passed over again;
 * - `deferred`: the daily quota is used up: it stays queued for a later run of the same date.
 */
export type EntryOutcome =
  | { kind: 'final'; entry: LedgerEntry; counts: string[]; undoContact: boolean }
  | { kind: 'released'; counts: string[] }
  | { kind: 'deferred'; counts: string[] };

export interface SendContext {
  d: Deps;
  runDate: string;
  night: NightContext;
  keys: UnsubscribeKeyRing;
  limiter: SendRateLimiter;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => Date;
}

class QuotaExhausted extends Error {
  override name = 'QuotaExhausted';
}

const labelOf = (entry: LedgerEntry) => `campaign:${entry.campaignId}:${entry.segmentId}`;

/**
 * Checks one queued entry again right before sending (suppression, consent, campaign still loaded,
 * address, rendering) and sends it through SES with retries for throttling and transient errors.
 * Never resends when the request may have reached SES (timeouts, reset connections): that is
 * recorded as `ambiguous` (at-most-once, see docs/delivery.md). Writes nothing itself: the caller
 * stores the outcomes of a group together.
 */
export async function sendOne(
  ctx: SendContext,
  entry: LedgerEntry,
  customer: CustomerSendView | undefined,
  suppression: SuppressionReason | undefined,
): Promise<EntryOutcome> {
  const { d, night } = ctx;
  const label = labelOf(entry);
  const finish = (
    status: LedgerEntry['status'],
    fields: Pick<LedgerEntry, 'reason' | 'messageId' | 'sentAt'>,
    counts: string[],
    undoContact: boolean,
  ): EntryOutcome => {
    // Outcomes are stored as whole items without a condition: the transition table guards them here.
    if (!canTransition(entry.status, status)) {
      throw new Error(`illegal ledger transition ${entry.status} → ${status} for ${entry.sendKey}`);
    }
    const { reason: _oldReason, ...rest } = entry;
    return {
      kind: 'final',
      entry: { ...rest, status, finishedAt: ctx.now().toISOString(), ...fields },
      counts,
      undoContact,
    };
  };

  if (isLegacyClaim(entry.status)) {
    // Left by the per-entry claims of an earlier version: the outcome of that attempt is unknown.
    return finish(
      'ambiguous',
      { reason: 'claimed by an attempt that ended without recording the outcome; not re-sent' },
      ['send:ambiguous', `${label}:ambiguous`],
      false,
    );
  }
  const campaign = night.campaigns.get(entry.campaignId);
  const eligibility = stillEligible(customer, campaign, suppression, ctx.runDate);
  if (!eligibility.ok || !customer || !campaign) {
    return finish(
      'skipped',
      { reason: eligibility.ok ? 'campaign no longer loaded' : eligibility.reason },
      [`send:skipped:${eligibility.ok ? 'campaign' : eligibility.code}`, `${label}:skipped`],
      true,
    );
  }
  const address = validateEmail(customer.profile.email);
  if (!address.ok) {
    return finish(
      'failed',
      { reason: `invalid address: ${address.reason}` },
      ['send:invalid_address', `${label}:invalid_address`],
      true,
    );
  }
  if (ctx.limiter.remainingQuota() <= 0) return { kind: 'deferred', counts: ['send:deferred_quota'] };

  const token = signUnsubscribeToken(ctx.keys, {
    customerId: customer.customerId,
    campaignId: entry.campaignId,
    sendId: entry.sendKey,
    issuedAt: ctx.runDate,
  });
  const url = unsubscribeUrl(unsubscribeBaseUrl(d.config), token);
  let rendered: ReturnType<typeof renderDecidedEmail>;
  try {
    rendered = renderDecidedEmail(night, campaign, entry, customer, {
      unsubscribeUrl: url,
      postalAddress: d.config.POSTAL_ADDRESS,
      senderName: d.config.SENDER_NAME,
    });
  } catch (error) {
    // A template that cannot render for this customer is a permanent failure of this send only.
    return finish(
      'failed',
      { reason: `render failed: ${(error as Error).message}`.slice(0, 500) },
      ['send:render_failed', `${label}:failed`],
      true,
    );
  }

  const sendTag = encodeSendTag(entry.sendKey);
  let sentAt = ctx.now();
  try {
    const sent = await retryWithBackoff(
      async () => {
        const slot = await ctx.limiter.acquire();
        if (!slot.ok) throw new QuotaExhausted();
        // The moment by the send clock: SES replaces a Date header with the time it accepted the
        // message (the same moment on AWS); the local outbox keeps it, so a simulated night's
        // emails show when they were scheduled to go out.
        sentAt = ctx.now();
        return d.mailer.send({
          from: `${senderDisplayName(campaign.compiled, d.config.SENDER_NAME)} <${d.config.SENDER_EMAIL}>`,
          to: address.email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          headers: [
            ...listUnsubscribeHeaders({ httpsUrl: url, mailto: d.config.UNSUBSCRIBE_MAILTO }).map((h) => ({
              name: h.Name,
              value: h.Value,
            })),
            { name: 'Date', value: rfc5322Date(sentAt) },
          ],
          // The SES events handler finds the ledger entry again through the reversible sendId tag.
          tags: {
            [SES_TAG_NAMES.runDate]: ctx.runDate,
            [SES_TAG_NAMES.campaignId]: entry.campaignId,
            [SES_TAG_NAMES.segmentId]: entry.segmentId,
            ...(sendTag === undefined ? {} : { [SES_TAG_NAMES.sendId]: sendTag }),
          },
          configurationSet: d.config.SES_CONFIGURATION_SET,
        });
      },
      {
        maxAttempts: 6,
        baseMs: 200,
        capMs: 10_000,
        random: ctx.random,
        sleep: ctx.sleep,
        isRetryable: (error: unknown) => {
          if (error instanceof QuotaExhausted) return false;
          const { kind, maybeSent } = describeSesError(error);
          if (kind === 'throttled') {
            workCounts.ses.throttled += 1;
            // SES dropped the throttled message: the slot was not used.
            ctx.limiter.release();
          }
          // Never resend when the request may have reached SES (timeout, reset connection).
          return (kind === 'throttled' || kind === 'transient') && !maybeSent;
        },
      },
    );
    workCounts.ses.recipients += 1;
    return finish(
      'sent',
      { messageId: sent.messageId, sentAt: sentAt.toISOString() },
      ['send:sent', `${label}:sent`],
      false,
    );
  } catch (error) {
    const kind = error instanceof QuotaExhausted ? 'quota_exceeded' : classifySesError(error);
    const maybeSent = !(error instanceof QuotaExhausted) && describeSesError(error).maybeSent;
    // SES quotes the recipient in some messages (an unverified address in the sandbox): the ledger
    // keeps ids only, so the address is masked before the reason is stored.
    const reason = redactEmails(
      `${kind}: ${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? ''}`,
    ).slice(0, 500);
    // The customer id names the person; the address stays in the customer item.
    logger.warn('send failed', { sendKey: entry.sendKey, customerId: entry.customerId, kind });
    if (maybeSent) {
      // SES may have accepted it (timeout, reset connection): at-most-once, report, never resend.
      return finish(
        'ambiguous',
        { reason: `outcome unknown, not re-sent: ${reason}`.slice(0, 500) },
        ['send:ambiguous', `${label}:ambiguous`],
        false,
      );
    }
    if (kind === 'quota_exceeded') return { kind: 'deferred', counts: ['send:retry_later:quota_exceeded'] };
    if (kind === 'throttled' || kind === 'transient') {
      if (kind === 'throttled') {
        // The last attempt's throttle (the retry policy only sees the ones it retries).
        workCounts.ses.throttled += 1;
        ctx.limiter.release();
      }
      // SES did not take the message: it stays queued and the page is passed over again.
      return { kind: 'released', counts: [`send:retry_later:${kind}`] };
    }
    return finish('failed', { reason }, ['send:failed', `${label}:failed`], true);
  }
}

/** `Thu, 03 Dec 2026 08:00:00 +0000` (RFC 5322 date-time, in UTC). */
export function rfc5322Date(at: Date): string {
  return at.toUTCString().replace(/GMT$/, '+0000');
}

export const WINDOW_MISSED_REASON = 'window_missed';

/**
 * An entry whose wave's window closed before it could go out (late run, throttling, quota): it is
 * never sent outside its customer's local window; the decision's contact history is given back.
 */
export function missedWindow(
  ctx: Pick<SendContext, 'now'>,
  entry: LedgerEntry,
  waveId: string,
): EntryOutcome {
  if (!canTransition(entry.status, 'skipped')) {
    throw new Error(`illegal ledger transition ${entry.status} → skipped for ${entry.sendKey}`);
  }
  const { reason: _oldReason, ...rest } = entry;
  return {
    kind: 'final',
    entry: {
      ...rest,
      status: 'skipped',
      finishedAt: ctx.now().toISOString(),
      reason: `${WINDOW_MISSED_REASON}: the local send window ${waveId} closed before it could go out`,
    },
    counts: [`send:skipped:${WINDOW_MISSED_REASON}`, `${labelOf(entry)}:skipped`],
    undoContact: true,
  };
}
