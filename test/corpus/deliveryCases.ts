// The hostile SES events and unsubscribe / preference requests of the corpus. They are built from a
// context (a real sent ledger entry, a real signed token) because a forged or replayed input is only
// hostile next to the genuine one it imitates.

export interface DeliveryContext {
  /** A genuine EventBridge bounce event for the sent email of customer c1. */
  bounce: Record<string, unknown>;
  /** A genuine open event for the same email. */
  open: Record<string, unknown>;
  /** A genuine token for customer c1 (campaign corpus-valid). */
  token: string;
  /** A token of the same shape, signed with a key this deployment does not have. */
  foreignToken: string;
  /** A token with the same payload, MAC'd by the right key id but with another secret. */
  forgedToken: string;
}

export interface SesEventCase {
  name: string;
  why: string;
  build(ctx: DeliveryContext): unknown;
  /** The parked reason. */
  expect: RegExp;
}

const clone = <T>(v: T): T => structuredClone(v);
const detail = (e: Record<string, unknown>) => e['detail'] as Record<string, Record<string, unknown>>;

export const SES_EVENT_CASES: readonly SesEventCase[] = [
  {
    name: 'forged source',
    why: 'an EventBridge event that claims to be SES from another source',
    build: ({ bounce }) => ({ ...clone(bounce), source: 'my.app' }),
    expect: /^unexpected_source$/,
  },
  {
    name: 'detail-type that does not match the record',
    why: 'says Delivered, carries a Bounce',
    build: ({ bounce }) => ({ ...clone(bounce), 'detail-type': 'Email Delivered' }),
    expect: /^detail_type_mismatch$/,
  },
  {
    name: 'truncated SNS message',
    why: 'the JSON of the record cut in half',
    build: ({ bounce }) => {
      const text = JSON.stringify(bounce['detail']);
      return { Records: [{ EventSource: 'aws:sns', Sns: { Message: text.slice(0, text.length / 2) } }] };
    },
    expect: /^record 0: not_json$/,
  },
  {
    name: 'truncated record',
    why: 'a bounce without its recipients',
    build: ({ bounce }) => {
      const e = clone(bounce);
      delete detail(e)['bounce']!['bouncedRecipients'];
      return e;
    },
    expect: /^invalid_record: bounce\.bouncedRecipients: /,
  },
  {
    name: 'unknown event type',
    why: 'an eventType SES does not publish',
    build: ({ bounce }) => ({ ...detail(clone(bounce)), eventType: 'Teleport' }),
    expect: /^unsupported_event_type: Teleport$/,
  },
  {
    name: 'nested too deep',
    why: 'JSON in a string in a string ... in an SQS body',
    build: ({ bounce }) => {
      let body: unknown = bounce;
      for (let i = 0; i < 6; i++) body = JSON.stringify(body);
      return { Records: [{ eventSource: 'aws:sqs', body }] };
    },
    expect: /nested_too_deep|not_json/,
  },
  {
    name: 'oversized record',
    why: 'a 1 MB bounce sub-type (EventBridge carries at most 256 KB)',
    build: ({ bounce }) => {
      const e = clone(bounce);
      detail(e)['bounce']!['bounceSubType'] = 'x'.repeat(1024 * 1024);
      return e;
    },
    expect: /^too_large: 10\d{5} characters \(limit 262144\)$/,
  },
  {
    name: 'oversized input',
    why: 'an 8 MB string (Lambda takes 6 MB)',
    build: () => 'x'.repeat(8 * 1024 * 1024),
    expect: /^too_large: 8388608 characters \(limit 6291456\)$/,
  },
  {
    name: 'too many recipients',
    why: 'a bounce of 51 addresses: SES sends to at most 50, and each would be suppressed',
    build: ({ bounce }) => {
      const e = clone(bounce);
      detail(e)['bounce']!['bouncedRecipients'] = Array.from({ length: 51 }, (_, i) => ({
        emailAddress: `victim${i}@example.com`,
      }));
      return e;
    },
    expect: /^invalid_record: bounce\.bouncedRecipients: Too big/,
  },
  {
    name: 'one bad record in a batch',
    why: 'a genuine bounce and a broken record: nothing of the batch is applied',
    build: ({ bounce }) => ({
      Records: [
        { eventSource: 'aws:sqs', body: JSON.stringify(bounce) },
        { eventSource: 'aws:sqs', body: '{"eventType":"Bounce"' },
      ],
    }),
    expect: /^record 1: not_json$/,
  },
  { name: 'null', why: 'no payload', build: () => null, expect: /^unrecognised_shape$/ },
  { name: 'an array', why: 'a list, not an event', build: () => [1, 2, 3], expect: /^unrecognised_shape$/ },
  {
    name: 'empty batch',
    why: 'Records: []',
    build: () => ({ Records: [] }),
    expect: /^empty_batch$/,
  },
];

export interface UnsubscribeCase {
  name: string;
  why: string;
  build(ctx: DeliveryContext): {
    method: string;
    query?: string;
    body?: string;
    base64?: boolean;
    headers?: Record<string, string>;
  };
  status: number;
  /** The response body must match. */
  expect: RegExp;
}

const ONE_CLICK = 'List-Unsubscribe=One-Click';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export const UNSUBSCRIBE_CASES: readonly UnsubscribeCase[] = [
  {
    name: 'no token',
    why: 'a one-click POST without its token',
    build: () => ({ method: 'POST', body: ONE_CLICK, headers: FORM }),
    status: 400,
    expect: /This unsubscribe link is incomplete\./,
  },
  {
    name: 'forged signature',
    why: 'the right payload and key id, a MAC made with another secret',
    build: ({ forgedToken }) => ({
      method: 'POST',
      query: `token=${forgedToken}`,
      body: ONE_CLICK,
      headers: FORM,
    }),
    status: 403,
    expect: /This unsubscribe link is not valid or has expired\./,
  },
  {
    name: 'unknown key',
    why: 'signed by a key id this deployment never had',
    build: ({ foreignToken }) => ({
      method: 'POST',
      query: `token=${foreignToken}`,
      body: ONE_CLICK,
      headers: FORM,
    }),
    status: 403,
    expect: /not valid or has expired/,
  },
  {
    name: 'altered payload',
    why: 'one character of the signed payload changed (another customer)',
    build: ({ token }) => {
      const [payload, kid, mac] = token.split('.') as [string, string, string];
      const flipped = payload.slice(0, 5) + (payload[5] === 'A' ? 'B' : 'A') + payload.slice(6);
      return { method: 'POST', query: `token=${flipped}.${kid}.${mac}`, body: ONE_CLICK, headers: FORM };
    },
    status: 403,
    expect: /not valid or has expired/,
  },
  {
    name: 'truncated token',
    why: 'the link cut by a mail client',
    build: ({ token }) => ({ method: 'GET', query: `token=${token.slice(0, token.length - 10)}` }),
    status: 400,
    expect: /This unsubscribe link is not valid\./,
  },
  {
    name: 'oversized token',
    why: '20,000 characters',
    build: () => ({ method: 'GET', query: `token=${'A'.repeat(20_000)}.k1.${'B'.repeat(43)}` }),
    status: 400,
    expect: /This unsubscribe link is not valid\./,
  },
  {
    name: 'oversized body',
    why: 'a 100 KB one-click body',
    build: ({ token }) => ({
      method: 'POST',
      query: `token=${token}`,
      body: `${ONE_CLICK}&pad=${'x'.repeat(100_000)}`,
      headers: FORM,
    }),
    status: 413,
    expect: /Request too large\./,
  },
  {
    name: 'wrong content type',
    why: 'JSON where a form is expected',
    build: ({ token }) => ({
      method: 'POST',
      query: `token=${token}`,
      body: '{"List-Unsubscribe":"One-Click"}',
      headers: { 'content-type': 'application/json' },
    }),
    status: 415,
    expect: /Unsupported content type\./,
  },
  {
    name: 'other method',
    why: 'DELETE',
    build: ({ token }) => ({ method: 'DELETE', query: `token=${token}` }),
    status: 405,
    expect: /Method not allowed\./,
  },
  {
    name: 'cross-site form POST',
    why: 'another site submits "unsubscribe from everything" with a genuine token',
    build: ({ token }) => ({
      method: 'POST',
      query: `token=${token}`,
      body: 'action=unsubscribe_all',
      headers: { ...FORM, 'sec-fetch-site': 'cross-site', host: 'unsubscribe.example' },
    }),
    status: 403,
    expect: /This form was sent from another website\. Nothing was changed\./,
  },
  {
    name: 'unknown form field',
    why: 'a save with a field the form does not have',
    build: ({ token }) => ({
      method: 'POST',
      query: `token=${token}`,
      body: 'action=save&frequency=any&isAdmin=true',
      headers: { ...FORM, 'sec-fetch-site': 'same-origin' },
    }),
    status: 400,
    expect: /field isAdmin: not a field of this form/,
  },
  {
    name: 'unknown topic',
    why: 'a topic the deployment does not offer',
    build: ({ token }) => ({
      method: 'POST',
      query: `token=${token}`,
      body: 'action=save&frequency=any&topic_%3Cscript%3E=on',
      headers: { ...FORM, 'sec-fetch-site': 'same-origin' },
    }),
    status: 400,
    // The topic is echoed escaped, never as markup.
    expect: /field topic_&lt;script&gt;: unknown topic &quot;&lt;script&gt;&quot;/,
  },
  {
    name: 'base64 garbage body',
    why: 'a body that decodes to binary',
    build: ({ token }) => ({
      method: 'POST',
      query: `token=${token}`,
      body: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]).toString('base64'),
      base64: true,
      headers: { ...FORM, 'sec-fetch-site': 'same-origin' },
    }),
    status: 400,
    expect: /field/,
  },
];
