/**
 * SES event publishing payloads → normalised events.
 *
 * Accepted envelopes (each holds the same SES "event record": `eventType`, `mail`, and one object named
 * after the type, as in the SES developer guide, "Examples of event data that Amazon SES publishes"):
 * - EventBridge: `{ source: 'aws.ses', 'detail-type': 'Email Bounced' | …, detail: <record> }`
 * - SNS → Lambda: `{ Records: [{ EventSource: 'aws:sns', Sns: { Message: '<record JSON>' } }] }`
 * - SQS → Lambda (SNS raw or wrapped): `{ Records: [{ eventSource: 'aws:sqs', body: '<JSON>' }] }`
 * - a bare record (object or JSON string), also the legacy identity notification form that names the
 *   type `notificationType` instead of `eventType`.
 *
 * Parsing is all-or-nothing per input: any record that does not match yields `{ ok: false, reason }` and
 * the caller parks the whole input for inspection instead of acting on half of it.
 *
 * Duplicates: SNS, SQS and EventBridge deliver at least once, so the same record can arrive several
 * times. `eventId` is a hash of (messageId, type, recipients, event timestamp[, link]), identical for
 * every copy, so the consumer can record it with a conditional put and skip repeats.
 *
 * Suppression: a Permanent bounce → `hard_bounce`; any complaint → `complaint`; an SES subscription
 * event that unsubscribes from everything → `unsubscribed`. Transient and Undetermined bounces, delays
 * and rendering failures never suppress.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { normalizeEmail } from './emailAddress.js';

export type NormalizedSesEventType =
  | 'bounce'
  | 'complaint'
  | 'delivery'
  | 'send'
  | 'reject'
  | 'open'
  | 'click'
  | 'delivery_delay'
  | 'rendering_failure'
  | 'subscription';

export type SuppressionCause = 'hard_bounce' | 'complaint' | 'unsubscribed';

/** Message tag names the sender sets on every SES message (configuration-set event publishing). */
export const SES_TAG_NAMES = {
  runDate: 'runDate',
  campaignId: 'campaignId',
  segmentId: 'segmentId',
  sendId: 'sendId',
} as const;

export interface NormalizedSesEventTags {
  runDate?: string;
  campaignId?: string;
  segmentId?: string;
  sendId?: string;
}

export interface NormalizedSesEvent {
  eventId: string;
  type: NormalizedSesEventType;
  messageId: string;
  /** Affected recipients (bounced / complained / delivered / delayed), else the message's destination. */
  recipients: string[];
  /** ISO 8601 time of the event itself (falls back to the send time for send/reject/rendering failure). */
  timestamp: string;
  bounceType?: 'Permanent' | 'Transient' | 'Undetermined';
  bounceSubType?: string;
  complaintFeedbackType?: string;
  /** Click events: the link that was clicked. */
  link?: string;
  /** Reject reason, rendering-failure message, delay type: a short diagnostic for logs. */
  detail?: string;
  tags: NormalizedSesEventTags;
  suppress?: SuppressionCause;
}

export type ParseSesEventResult = { ok: true; events: NormalizedSesEvent[] } | { ok: false; reason: string };

const isoTimestamp = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'expected an ISO 8601 timestamp',
});
const emailString = z.string().min(3).max(320);
/** SES sends one message to at most 50 recipients: a longer list is not an SES event. */
const MAX_RECIPIENTS = 50;
/** EventBridge and SNS carry at most 256 KB per event; Lambda takes at most 6 MB per invocation. */
export const SES_EVENT_LIMITS = { maxRecordChars: 256 * 1024, maxInputChars: 6 * 1024 * 1024 } as const;

export const sesMailSchema = z.object({
  messageId: z.string().min(1).max(256),
  timestamp: isoTimestamp,
  destination: z.array(emailString).min(1).max(MAX_RECIPIENTS),
  source: z.string().optional(),
  tags: z.record(z.string(), z.array(z.string())).optional(),
});

const recipientSchema = z.object({ emailAddress: emailString });

export const sesBounceSchema = z.object({
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
  bounceSubType: z.string(),
  bouncedRecipients: z.array(recipientSchema).min(1).max(MAX_RECIPIENTS),
  timestamp: isoTimestamp,
  feedbackId: z.string().optional(),
});

export const sesComplaintSchema = z.object({
  complainedRecipients: z.array(recipientSchema).min(1).max(MAX_RECIPIENTS),
  timestamp: isoTimestamp,
  feedbackId: z.string().optional(),
  complaintFeedbackType: z.string().optional(),
  complaintSubType: z.string().nullable().optional(),
});

export const sesDeliverySchema = z.object({
  timestamp: isoTimestamp,
  recipients: z.array(emailString).min(1).max(MAX_RECIPIENTS),
  processingTimeMillis: z.number().optional(),
  smtpResponse: z.string().optional(),
});

export const sesOpenSchema = z.object({
  timestamp: isoTimestamp,
  ipAddress: z.string().optional(),
  userAgent: z.string().optional(),
});

export const sesClickSchema = z.object({
  timestamp: isoTimestamp,
  link: z.string().min(1),
  ipAddress: z.string().optional(),
  userAgent: z.string().optional(),
  linkTags: z.record(z.string(), z.array(z.string())).optional(),
});

export const sesRejectSchema = z.object({ reason: z.string() });

export const sesFailureSchema = z.object({ errorMessage: z.string(), templateName: z.string().optional() });

export const sesDeliveryDelaySchema = z.object({
  timestamp: isoTimestamp,
  delayType: z.string(),
  delayedRecipients: z.array(recipientSchema).min(1).max(MAX_RECIPIENTS),
  expirationTime: isoTimestamp.optional(),
});

export const sesSubscriptionSchema = z.object({
  timestamp: isoTimestamp,
  contactList: z.string().optional(),
  source: z.string().optional(),
  newTopicPreferences: z
    .object({
      unsubscribeAll: z.boolean().optional(),
      topicSubscriptionStatus: z
        .array(z.object({ topicName: z.string(), subscriptionStatus: z.string() }))
        .optional(),
    })
    .optional(),
});

/** One SES event record, discriminated on `eventType`. */
export const sesEventRecordSchema = z.discriminatedUnion('eventType', [
  z.object({ eventType: z.literal('Bounce'), mail: sesMailSchema, bounce: sesBounceSchema }),
  z.object({ eventType: z.literal('Complaint'), mail: sesMailSchema, complaint: sesComplaintSchema }),
  z.object({ eventType: z.literal('Delivery'), mail: sesMailSchema, delivery: sesDeliverySchema }),
  z.object({ eventType: z.literal('Send'), mail: sesMailSchema, send: z.object({}).optional() }),
  z.object({ eventType: z.literal('Reject'), mail: sesMailSchema, reject: sesRejectSchema }),
  z.object({ eventType: z.literal('Open'), mail: sesMailSchema, open: sesOpenSchema }),
  z.object({ eventType: z.literal('Click'), mail: sesMailSchema, click: sesClickSchema }),
  z.object({ eventType: z.literal('Rendering Failure'), mail: sesMailSchema, failure: sesFailureSchema }),
  z.object({
    eventType: z.literal('DeliveryDelay'),
    mail: sesMailSchema,
    deliveryDelay: sesDeliveryDelaySchema,
  }),
  z.object({
    eventType: z.literal('Subscription'),
    mail: sesMailSchema,
    subscription: sesSubscriptionSchema,
  }),
]);

export type SesEventRecord = z.infer<typeof sesEventRecordSchema>;

/** EventBridge `detail-type` → SES `eventType`. */
export const EVENTBRIDGE_DETAIL_TYPES: Readonly<Record<string, SesEventRecord['eventType']>> = {
  'Email Bounced': 'Bounce',
  'Email Complaint Received': 'Complaint',
  'Email Delivered': 'Delivery',
  'Email Sent': 'Send',
  'Email Rejected': 'Reject',
  'Email Opened': 'Open',
  'Email Clicked': 'Click',
  'Email Rendering Failed': 'Rendering Failure',
  'Email Delivery Delayed': 'DeliveryDelay',
  'Email Subscribed': 'Subscription',
};

const KNOWN_EVENT_TYPES = new Set<string>(Object.values(EVENTBRIDGE_DETAIL_TYPES));

type Failure = { ok: false; reason: string };
type RecordsResult = { ok: true; records: SesEventRecord[] } | Failure;

const MAX_DEPTH = 3;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string): { ok: true; value: unknown } | Failure {
  if (text.length > SES_EVENT_LIMITS.maxRecordChars) {
    return {
      ok: false,
      reason: `too_large: ${text.length} characters (limit ${SES_EVENT_LIMITS.maxRecordChars})`,
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'not_json' };
  }
}

function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.') || '(root)';
  return `${path}: ${issue.message}`;
}

function parseRecord(value: unknown): RecordsResult {
  if (!isObject(value)) return { ok: false, reason: 'unrecognised_shape' };
  let candidate = value;
  // Identity feedback notifications (no configuration set) name the type `notificationType`.
  if (candidate['eventType'] === undefined && typeof candidate['notificationType'] === 'string') {
    candidate = { ...candidate, eventType: candidate['notificationType'] };
  }
  if (candidate['eventType'] === 'RenderingFailure')
    candidate = { ...candidate, eventType: 'Rendering Failure' };
  const type = candidate['eventType'];
  if (typeof type !== 'string') return { ok: false, reason: 'unrecognised_shape' };
  if (!KNOWN_EVENT_TYPES.has(type))
    return { ok: false, reason: `unsupported_event_type: ${type.slice(0, 64)}` };
  const parsed = sesEventRecordSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, reason: `invalid_record: ${describeIssues(parsed.error)}` };
  return { ok: true, records: [parsed.data] };
}

function parseEnvelope(value: unknown, depth: number): RecordsResult {
  if (depth > MAX_DEPTH) return { ok: false, reason: 'nested_too_deep' };
  if (typeof value === 'string') {
    const json = parseJson(value);
    return json.ok ? parseEnvelope(json.value, depth + 1) : json;
  }
  if (!isObject(value)) return { ok: false, reason: 'unrecognised_shape' };

  // EventBridge
  if ('detail-type' in value || ('detail' in value && 'source' in value)) {
    if (value['source'] !== 'aws.ses') return { ok: false, reason: 'unexpected_source' };
    const detailType = value['detail-type'];
    const expected = typeof detailType === 'string' ? EVENTBRIDGE_DETAIL_TYPES[detailType] : undefined;
    if (!expected)
      return { ok: false, reason: `unsupported_detail_type: ${String(detailType).slice(0, 64)}` };
    const size = JSON.stringify(value['detail'] ?? null).length;
    if (size > SES_EVENT_LIMITS.maxRecordChars) {
      return {
        ok: false,
        reason: `too_large: ${size} characters (limit ${SES_EVENT_LIMITS.maxRecordChars})`,
      };
    }
    const inner = parseRecord(value['detail']);
    if (!inner.ok) return inner;
    if (inner.records[0]!.eventType !== expected) return { ok: false, reason: 'detail_type_mismatch' };
    return inner;
  }

  // Lambda batches from SNS or SQS
  if ('Records' in value) {
    const records = value['Records'];
    if (!Array.isArray(records) || records.length === 0) return { ok: false, reason: 'empty_batch' };
    const out: SesEventRecord[] = [];
    for (const [i, r] of records.entries()) {
      let inner: RecordsResult;
      if (isObject(r) && isObject(r['Sns']) && typeof r['Sns']['Message'] === 'string') {
        const json = parseJson(r['Sns']['Message']);
        inner = json.ok ? parseRecord(json.value) : json;
      } else if (isObject(r) && typeof r['body'] === 'string') {
        inner = parseEnvelope(r['body'], depth + 1);
      } else {
        inner = { ok: false, reason: 'unrecognised_shape' };
      }
      if (!inner.ok) return { ok: false, reason: `record ${i}: ${inner.reason}` };
      out.push(...inner.records);
    }
    return { ok: true, records: out };
  }

  // An SNS notification envelope (e.g. an SQS body from a non-raw SNS subscription)
  if (value['Type'] === 'Notification' && typeof value['Message'] === 'string') {
    const json = parseJson(value['Message']);
    return json.ok ? parseRecord(json.value) : json;
  }

  return parseRecord(value);
}

function firstTag(tags: Record<string, string[]> | undefined, name: string): string | undefined {
  const v = tags?.[name]?.[0];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function extractTags(tags: Record<string, string[]> | undefined): NormalizedSesEventTags {
  const out: NormalizedSesEventTags = {};
  const runDate = firstTag(tags, SES_TAG_NAMES.runDate);
  if (runDate !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(runDate)) out.runDate = runDate;
  const campaignId = firstTag(tags, SES_TAG_NAMES.campaignId);
  if (campaignId !== undefined) out.campaignId = campaignId;
  const segmentId = firstTag(tags, SES_TAG_NAMES.segmentId);
  if (segmentId !== undefined) out.segmentId = segmentId;
  const sendId = firstTag(tags, SES_TAG_NAMES.sendId);
  if (sendId !== undefined) out.sendId = sendId;
  return out;
}

function uniqueRecipients(list: string[]): string[] {
  return [...new Set(list.map((r) => normalizeEmail(r)))];
}

/** Deterministic id: the same record delivered twice gets the same id. */
export function sesEventId(
  messageId: string,
  type: NormalizedSesEventType,
  recipients: string[],
  timestamp: string,
  link?: string,
): string {
  const material = JSON.stringify([messageId, type, [...recipients].sort(), timestamp, link ?? null]);
  return createHash('sha256').update(material).digest('hex').slice(0, 40);
}

function normalizeRecord(record: SesEventRecord): NormalizedSesEvent {
  const mail = record.mail;
  let type: NormalizedSesEventType;
  let recipients: string[] = mail.destination;
  let timestamp = mail.timestamp;
  const extra: Partial<NormalizedSesEvent> = {};
  switch (record.eventType) {
    case 'Bounce':
      type = 'bounce';
      recipients = record.bounce.bouncedRecipients.map((r) => r.emailAddress);
      timestamp = record.bounce.timestamp;
      extra.bounceType = record.bounce.bounceType;
      extra.bounceSubType = record.bounce.bounceSubType;
      if (record.bounce.bounceType === 'Permanent') extra.suppress = 'hard_bounce';
      break;
    case 'Complaint':
      type = 'complaint';
      recipients = record.complaint.complainedRecipients.map((r) => r.emailAddress);
      timestamp = record.complaint.timestamp;
      if (record.complaint.complaintFeedbackType !== undefined) {
        extra.complaintFeedbackType = record.complaint.complaintFeedbackType;
      }
      extra.suppress = 'complaint';
      break;
    case 'Delivery':
      type = 'delivery';
      recipients = record.delivery.recipients;
      timestamp = record.delivery.timestamp;
      break;
    case 'Send':
      type = 'send';
      break;
    case 'Reject':
      type = 'reject';
      extra.detail = record.reject.reason;
      break;
    case 'Open':
      type = 'open';
      timestamp = record.open.timestamp;
      break;
    case 'Click':
      type = 'click';
      timestamp = record.click.timestamp;
      extra.link = record.click.link;
      break;
    case 'Rendering Failure':
      type = 'rendering_failure';
      extra.detail = record.failure.errorMessage;
      break;
    case 'DeliveryDelay':
      type = 'delivery_delay';
      recipients = record.deliveryDelay.delayedRecipients.map((r) => r.emailAddress);
      timestamp = record.deliveryDelay.timestamp;
      extra.detail = record.deliveryDelay.delayType;
      break;
    case 'Subscription':
      type = 'subscription';
      timestamp = record.subscription.timestamp;
      if (record.subscription.newTopicPreferences?.unsubscribeAll === true) extra.suppress = 'unsubscribed';
      break;
  }
  const normalizedRecipients = uniqueRecipients(recipients);
  const isoTime = new Date(timestamp).toISOString();
  return {
    eventId: sesEventId(mail.messageId, type, normalizedRecipients, isoTime, extra.link),
    type,
    messageId: mail.messageId,
    recipients: normalizedRecipients,
    timestamp: isoTime,
    ...extra,
    tags: extractTags(mail.tags),
  };
}

/** Parses any supported envelope into normalised events. Never throws. */
export function parseSesEvent(input: unknown): ParseSesEventResult {
  try {
    const size = typeof input === 'string' ? input.length : (JSON.stringify(input) ?? '').length;
    if (size > SES_EVENT_LIMITS.maxInputChars) {
      return { ok: false, reason: `too_large: ${size} characters (limit ${SES_EVENT_LIMITS.maxInputChars})` };
    }
    const result = parseEnvelope(input, 0);
    if (!result.ok) return result;
    return { ok: true, events: result.records.map(normalizeRecord) };
  } catch (err) {
    return { ok: false, reason: `unexpected: ${err instanceof Error ? err.name : 'error'}` };
  }
}
