/**
 * Realistic SES event-publishing payloads as EventBridge delivers them (the shape of the captured
 * fixtures in test/fixtures/ses-events/eventbridge-*.json), for `retention events simulate` and tests:
 * the same bytes the SES events handler receives on AWS, built for one sent message.
 */
import { createHash } from 'node:crypto';

export type SimulatedEventType =
  | 'bounce'
  | 'complaint'
  | 'open'
  | 'click'
  | 'delivery'
  | 'send'
  | 'unsubscribe';

export const SIMULATED_EVENT_TYPES: readonly SimulatedEventType[] = [
  'bounce',
  'complaint',
  'open',
  'click',
  'delivery',
  'send',
  'unsubscribe',
];

export interface SimulatedEventInput {
  type: SimulatedEventType;
  messageId: string;
  recipient: string;
  from: string;
  subject?: string;
  /** Message tags as SES reports them (name → [value]). */
  tags: Record<string, string>;
  configurationSet?: string;
  /** When SES accepted the message (ISO). */
  sentAt: string;
  /** When the event happened (ISO); default: a few seconds after sentAt. */
  at?: string;
  /** Bounce: a transient (soft) bounce instead of a permanent one. */
  transient?: boolean;
  /** Click: the link clicked. */
  link?: string;
  region?: string;
  account?: string;
}

const DETAIL_TYPES: Record<SimulatedEventType, string> = {
  bounce: 'Email Bounced',
  complaint: 'Email Complaint Received',
  open: 'Email Opened',
  click: 'Email Clicked',
  delivery: 'Email Delivered',
  send: 'Email Sent',
  unsubscribe: 'Email Subscribed',
};

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function buildSesEventBridgeEvent(input: SimulatedEventInput): Record<string, unknown> {
  const region = input.region ?? 'us-east-1';
  const account = input.account ?? '000000000000';
  const configurationSet = input.configurationSet ?? 'retention-pipeline';
  const at = input.at ?? new Date(Date.parse(input.sentAt) + 3_000).toISOString();
  const fromDomain = input.from.replace(/^.*@/, '').replace(/>$/, '');
  const mail = {
    timestamp: input.sentAt,
    source: input.from,
    sourceArn: `arn:aws:ses:${region}:${account}:identity/${fromDomain}`,
    sendingAccountId: account,
    messageId: input.messageId,
    destination: [input.recipient],
    headersTruncated: false,
    commonHeaders: {
      from: [input.from],
      to: [input.recipient],
      messageId: input.messageId,
      ...(input.subject === undefined ? {} : { subject: input.subject }),
    },
    tags: {
      'ses:configuration-set': [configurationSet],
      'ses:from-domain': [fromDomain],
      ...Object.fromEntries(Object.entries(input.tags).map(([k, v]) => [k, [v]])),
    },
  };
  let detail: Record<string, unknown>;
  switch (input.type) {
    case 'bounce':
      detail = {
        eventType: 'Bounce',
        bounce: input.transient
          ? {
              bounceType: 'Transient',
              bounceSubType: 'MailboxFull',
              bouncedRecipients: [
                {
                  emailAddress: input.recipient,
                  action: 'failed',
                  status: '4.2.2',
                  diagnosticCode: 'smtp; 452 4.2.2 mailbox full',
                },
              ],
              timestamp: at,
              feedbackId: `${input.messageId}-bounce`,
            }
          : {
              bounceType: 'Permanent',
              bounceSubType: 'General',
              bouncedRecipients: [
                {
                  emailAddress: input.recipient,
                  action: 'failed',
                  status: '5.1.1',
                  diagnosticCode: 'smtp; 550 5.1.1 user unknown',
                },
              ],
              timestamp: at,
              feedbackId: `${input.messageId}-bounce`,
              reportingMTA: `dsn; a1-23.smtp-out.${region}.amazonses.com`,
            },
        mail,
      };
      break;
    case 'complaint':
      detail = {
        eventType: 'Complaint',
        complaint: {
          complainedRecipients: [{ emailAddress: input.recipient }],
          timestamp: at,
          feedbackId: `${input.messageId}-complaint`,
          complaintSubType: null,
          complaintFeedbackType: 'abuse',
          userAgent: 'Yahoo!-Mail-Feedback/2.0',
          arrivalDate: at,
        },
        mail,
      };
      break;
    case 'delivery':
      detail = {
        eventType: 'Delivery',
        delivery: {
          timestamp: at,
          processingTimeMillis: Math.max(0, Date.parse(at) - Date.parse(input.sentAt)),
          recipients: [input.recipient],
          smtpResponse: '250 2.0.0 OK',
          reportingMTA: `a1-23.smtp-out.${region}.amazonses.com`,
        },
        mail,
      };
      break;
    case 'send':
      detail = { eventType: 'Send', send: {}, mail };
      break;
    case 'open':
      detail = {
        eventType: 'Open',
        open: { timestamp: at, ipAddress: '192.0.2.1', userAgent: 'Mozilla/5.0 (Simulated)' },
        mail,
      };
      break;
    case 'click':
      detail = {
        eventType: 'Click',
        click: {
          timestamp: at,
          ipAddress: '192.0.2.1',
          userAgent: 'Mozilla/5.0 (Simulated)',
          link: input.link ?? 'https://shop.example.com/',
          linkTags: {},
        },
        mail,
      };
      break;
    case 'unsubscribe':
      detail = {
        eventType: 'Subscription',
        subscription: {
          contactList: 'retention',
          timestamp: at,
          source: 'UnsubscribeHeader',
          newTopicPreferences: { unsubscribeAll: true, topicSubscriptionStatus: [] },
          oldTopicPreferences: { unsubscribeAll: false, topicSubscriptionStatus: [] },
        },
        mail,
      };
      break;
  }
  return {
    version: '0',
    id: uuidFrom(`${input.messageId}|${input.type}|${at}|${input.link ?? ''}`),
    'detail-type': DETAIL_TYPES[input.type],
    source: 'aws.ses',
    account,
    time: at.replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:ses:${region}:${account}:configuration-set/${configurationSet}`],
    detail,
  };
}
