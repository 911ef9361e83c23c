import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { documentClient } from '../adapters/clients.js';
import { SendFeedbackStore, statCounter } from '../adapters/sendStats.js';
import { customerSubject, emailSubject } from '../adapters/suppressionStore.js';
import { tableNames } from '../adapters/tableNames.js';
import { maskEmail } from '../domain/delivery/emailAddress.js';
import { decodeSendTag } from '../domain/delivery/sendTag.js';
import { type NormalizedSesEvent, parseSesEvent } from '../domain/delivery/sesEvents.js';
import { type Deps, deps, logger } from './deps.js';

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
  /** Where an unrecognised input was parked (`PARKED#<day>/<time>#<hash>` in the config table). */
  parked?: string;
}

async function applyEvent(
  d: Deps,
  feedback: SendFeedbackStore,
  event: NormalizedSesEvent,
  now: Date,
  result: SesEventsResult,
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
  if (entry.status === 'ambiguous' && (await feedback.resolveAmbiguous(sendKey, event))) result.resolved += 1;
  if (await feedback.recordOnLedger(sendKey, event)) result.ledgerUpdated += 1;
  // 3. Counters: marker first (attribute_not_exists), then ADD; a duplicate finds the marker.
  if (await feedback.markEvent(event.eventId, now)) {
    await feedback.addToStats(entry.runDate, entry.campaignId, statCounter(event));
    result.counted += 1;
  } else {
    result.duplicates += 1;
  }
  logger.info('SES event applied', {
    type: event.type,
    eventId: event.eventId,
    sendKey,
    recipients: event.recipients.map(maskEmail),
    suppress: event.suppress,
  });
}

/**
 * SES event publishing → EventBridge (default bus, source `aws.ses`) → this function. Suppresses on
 * hard bounces, complaints and unsubscribe-all subscription events, records the event on its send
 * ledger entry, and adds it to the per-run-and-campaign counters, each exactly once per event id.
 * Anything it does not recognise is parked in the config table (with a TTL), never half-applied.
 */
export async function processSesEvents(raw: unknown, now = new Date()): Promise<SesEventsResult> {
  const d = deps();
  const feedback = new SendFeedbackStore(documentClient(), tableNames(d.config));
  const result: SesEventsResult = {
    events: 0,
    duplicates: 0,
    suppressed: 0,
    ledgerUpdated: 0,
    resolved: 0,
    counted: 0,
    unmatched: 0,
  };
  const parsed = parseSesEvent(raw);
  if (!parsed.ok) {
    result.parked = await feedback.park(raw, parsed.reason, now);
    logger.warn('unrecognised SES event parked', { reason: parsed.reason, parked: result.parked });
    return result;
  }
  result.events = parsed.events.length;
  for (const event of parsed.events) await applyEvent(d, feedback, event, now, result);
  return result;
}

export const handler = middy((event: unknown, _context: Context) => processSesEvents(event)).use(
  injectLambdaContext(logger),
);
