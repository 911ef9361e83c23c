import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { documentClient } from '../adapters/clients.js';
import { isPendingLedgerStatus, SendFeedbackStore, statCounter } from '../adapters/sendStats.js';
import { customerSubject, emailSubject } from '../adapters/suppressionStore.js';
import { tableNames } from '../adapters/tableNames.js';
import { decodeSendTag } from '../domain/delivery/sendTag.js';
import { type NormalizedSesEvent, parseSesEvent } from '../domain/delivery/sesEvents.js';
import { type Deps, deps, logger } from './deps.js';
import { metrics, tracer } from './observability.js';

export interface SesEventsResult {
  /** Events in the input (0 when parked). */
  events: number;
  /** Events seen before (at-least-once delivery): nothing counted twice. */
  duplicates: number;
  /** Suppressions newly written (repeats of an existing suppression are not counted). */
  suppressed: number;
  ledgerUpdated: number;
  /** Ambiguous ledger entries settled by SES evidence. */
  resolved: number;
  /** Events that added to a per-campaign counter. */
  counted: number;
  /** Events without a ledger entry to attach to (no or foreign `sendId` tag, other MessageId). */
  unmatched: number;
  /**
   * Events whose ledger entry has no send outcome recorded yet (`queued` or `claimed`): suppression
   * and counters applied, the entry left untouched; the invocation then fails with
   * `LedgerOutcomePending` so that the event is redelivered.
   */
  pending: number;
  /** Where an unrecognised input was parked (`PARKED#<day>/<time>#<hash>` in the config table). */
  parked?: string;
}

/** An event that could not be recorded on its ledger entry yet. */
export interface PendingLedgerEvent {
  sendKey: string;
  /** As the handler read it: `queued` or `claimed` (another one only when the guarded write found it pending). */
  status: string;
  eventId: string;
  type: NormalizedSesEvent['type'];
}

/**
 * Thrown by `processSesEvents` after the whole input was processed, when at least one event found its
 * ledger entry without a recorded send outcome. Retryable: the redelivered event counts nothing twice
 * (seen-event marker), suppresses idempotently, and lands on the ledger once the outcome is there.
 */
export class LedgerOutcomePending extends Error {
  override readonly name = 'LedgerOutcomePending';

  constructor(
    readonly pending: readonly PendingLedgerEvent[],
    readonly result: SesEventsResult,
  ) {
    const keys = [...new Set(pending.map((p) => p.sendKey))];
    const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
    super(
      `${pending.length === 1 ? 'SES event' : `${pending.length} SES events`} for ledger ` +
        `${keys.length === 1 ? 'entry' : 'entries'} ${shown} arrived before the send stage recorded the ` +
        'outcome (still queued or claimed): suppression and counters applied, ledger entry left unchanged; ' +
        'the event will be retried (redelivered) to record it there',
    );
  }
}

async function applyEvent(
  d: Deps,
  feedback: SendFeedbackStore,
  event: NormalizedSesEvent,
  now: Date,
  result: SesEventsResult,
  pendingEvents: PendingLedgerEvent[],
): Promise<void> {
  const source = `ses:${event.type}:${event.eventId}`;
  // 1. Suppression first: idempotent, and the part that must never be lost.
  if (event.suppress) {
    for (const address of event.recipients) {
      if (await d.suppression.suppress(emailSubject(address), event.suppress, source, now))
        result.suppressed += 1;
    }
  }
  // 2. The ledger entry, found through the reversible sendId tag.
  const sendKey = event.tags.sendId === undefined ? undefined : decodeSendTag(event.tags.sendId);
  const entry = sendKey === undefined ? undefined : await d.ledger.get(sendKey);
  if (!sendKey || !entry || (entry.messageId !== undefined && entry.messageId !== event.messageId)) {
    result.unmatched += 1;
    logger.info('SES event without a matching ledger entry', {
      type: event.type,
      eventId: event.eventId,
      messageId: event.messageId,
      hasSendTag: event.tags.sendId !== undefined,
    });
    return;
  }
  if (event.suppress === 'unsubscribed') {
    if (await d.suppression.suppress(customerSubject(entry.customerId), 'unsubscribed', source, now)) {
      result.suppressed += 1;
    }
  }
  // The send stage records an outcome with a whole-item Put: writing onto the entry before that
  // lands would be wiped. A pending entry gets the counters now and the ledger on redelivery.
  let pending = isPendingLedgerStatus(entry.status);
  if (!pending) {
    if (entry.status === 'ambiguous' && (await feedback.resolveAmbiguous(sendKey, event)))
      result.resolved += 1;
    const recorded = await feedback.recordOnLedger(sendKey, event);
    if (recorded === 'recorded') result.ledgerUpdated += 1;
    // The read said the outcome was there, the guarded write says not (an old-design entry moved
    // back, or a concurrent change): same treatment.
    else if (recorded === 'pending') pending = true;
  }
  // 3. Counters: marker first (attribute_not_exists), then ADD; a duplicate finds the marker.
  if (await feedback.markEvent(event.eventId, now)) {
    await feedback.addToStats(entry.runDate, entry.campaignId, statCounter(event));
    result.counted += 1;
  } else {
    result.duplicates += 1;
  }
  if (pending) {
    result.pending += 1;
    pendingEvents.push({
      sendKey,
      status: entry.status,
      eventId: event.eventId,
      type: event.type,
    });
    logger.info('SES event before the send outcome: ledger part left for the redelivery', {
      type: event.type,
      eventId: event.eventId,
      sendKey,
      status: entry.status,
    });
    return;
  }
  logger.info('SES event applied', {
    type: event.type,
    eventId: event.eventId,
    sendKey,
    // How many, not who: the ledger entry (sendKey) names the customer.
    recipients: event.recipients.length,
    suppress: event.suppress,
  });
}

/**
 * SES event publishing → EventBridge (default bus, source `aws.ses`) → this function. Suppresses on
 * hard bounces, complaints and unsubscribe-all subscription events, records the event on its send
 * ledger entry, and adds it to the per-run-and-campaign counters, each exactly once per event id.
 * Anything it does not recognise is parked in the config table (with a TTL), never half-applied.
 * An event whose ledger entry has no send outcome yet is applied except for the ledger, and the
 * call then throws `LedgerOutcomePending` (after the other events of the input) so that Lambda's
 * asynchronous retries redeliver it.
 */
export async function processSesEvents(raw: unknown, now = new Date()): Promise<SesEventsResult> {
  const d = deps();
  const feedback = new SendFeedbackStore(
    documentClient(),
    tableNames(d.config),
    d.config.EVENT_RETENTION_DAYS,
  );
  const result: SesEventsResult = {
    events: 0,
    duplicates: 0,
    suppressed: 0,
    ledgerUpdated: 0,
    resolved: 0,
    counted: 0,
    unmatched: 0,
    pending: 0,
  };
  const parsed = parseSesEvent(raw);
  if (!parsed.ok) {
    result.parked = await feedback.park(raw, parsed.reason, now);
    logger.warn('unrecognised SES event parked', { reason: parsed.reason, parked: result.parked });
    return result;
  }
  result.events = parsed.events.length;
  const pendingEvents: PendingLedgerEvent[] = [];
  for (const event of parsed.events) await applyEvent(d, feedback, event, now, result, pendingEvents);
  if (pendingEvents.length > 0) {
    const error = new LedgerOutcomePending(pendingEvents, result);
    // info, not warn: expected now and then (SES is fast, the outcome write comes in batches); the
    // Lambda runtime records the error itself, and the retry normally settles it.
    logger.info('SES events wait for their send outcome; failing the invocation so they are retried', {
      pending: pendingEvents,
      result,
    });
    throw error;
  }
  return result;
}

export const handler = middy((event: unknown, _context: Context) => processSesEvents(event))
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
