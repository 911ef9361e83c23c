import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type NormalizedSesEvent,
  parseSesEvent,
  sesEventId,
} from '../../../../functions/domain/delivery/sesEvents.js';

const FIXTURES = new URL('../../../fixtures/ses-events/', import.meta.url);
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

const MID = '0100018f8a7c1d2e-5b6c7d8e-1f2a-4b3c-9d8e-7f6a5b4c3d2e-000000';
const TAGS = {
  runDate: '2024-05-17',
  campaignId: 'winback-q2',
  segmentId: 'at_risk',
  sendId: 's-2024-05-17-000042',
};

function single(input: unknown): NormalizedSesEvent {
  const r = parseSesEvent(input);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}`);
  expect(r.events).toHaveLength(1);
  return r.events[0]!;
}

describe('parseSesEvent: EventBridge fixtures', () => {
  it('permanent bounce → hard_bounce suppression', () => {
    const e = single(fixture('eventbridge-bounce-permanent.json'));
    expect(e).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f]{40}$/),
      type: 'bounce',
      messageId: MID,
      recipients: ['jane.doe@example.com'],
      timestamp: '2024-05-17T06:00:03.456Z',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      tags: TAGS,
      suppress: 'hard_bounce',
    });
  });

  it('transient bounce → no suppression', () => {
    const e = single(fixture('eventbridge-bounce-transient.json'));
    expect(e).toMatchObject({ type: 'bounce', bounceType: 'Transient', bounceSubType: 'MailboxFull' });
    expect(e.suppress).toBeUndefined();
  });

  it('complaint → complaint suppression with feedback type', () => {
    const e = single(fixture('eventbridge-complaint.json'));
    expect(e).toMatchObject({
      type: 'complaint',
      recipients: ['jane.doe@example.com'],
      timestamp: '2024-05-17T08:30:00.000Z',
      complaintFeedbackType: 'abuse',
      suppress: 'complaint',
      tags: TAGS,
    });
  });

  it.each([
    ['eventbridge-delivery.json', 'delivery', '2024-05-17T06:00:02.789Z'],
    ['eventbridge-send.json', 'send', '2024-05-17T06:00:01.123Z'],
    ['eventbridge-reject.json', 'reject', '2024-05-17T06:00:01.123Z'],
    ['eventbridge-open.json', 'open', '2024-05-17T07:45:10.000Z'],
    ['eventbridge-click.json', 'click', '2024-05-17T07:46:02.000Z'],
    ['eventbridge-rendering-failure.json', 'rendering_failure', '2024-05-17T06:00:01.123Z'],
    ['eventbridge-delivery-delay.json', 'delivery_delay', '2024-05-17T06:20:00.000Z'],
  ])('%s → %s, no suppression', (file, type, timestamp) => {
    const e = single(fixture(file));
    expect(e).toMatchObject({
      type,
      timestamp,
      messageId: MID,
      recipients: ['jane.doe@example.com'],
      tags: TAGS,
    });
    expect(e.suppress).toBeUndefined();
  });

  it('keeps diagnostics: click link, reject reason, rendering error, delay type', () => {
    expect(single(fixture('eventbridge-click.json')).link).toBe(
      'https://shop.acme.example/offers/winback?utm_campaign=winback-q2',
    );
    expect(single(fixture('eventbridge-reject.json')).detail).toBe('Bad content');
    expect(single(fixture('eventbridge-rendering-failure.json')).detail).toMatch(/firstName/);
    expect(single(fixture('eventbridge-delivery-delay.json')).detail).toBe('TransientCommunicationFailure');
  });

  it('subscription event with unsubscribeAll → unsubscribed', () => {
    expect(single(fixture('eventbridge-subscription.json'))).toMatchObject({
      type: 'subscription',
      suppress: 'unsubscribed',
    });
  });

  it('subscription event without unsubscribeAll → no suppression', () => {
    const f = fixture('eventbridge-subscription.json');
    const detail = structuredClone(f['detail']) as { subscription: { newTopicPreferences: object } };
    detail.subscription.newTopicPreferences = { unsubscribeAll: false };
    expect(single({ ...f, detail }).suppress).toBeUndefined();
  });

  it('rejects a non-email SES account event', () => {
    expect(parseSesEvent(fixture('eventbridge-sending-status-disabled.json'))).toEqual({
      ok: false,
      reason: 'unsupported_detail_type: Sending Status Disabled',
    });
  });

  it('rejects a detail-type that contradicts the record', () => {
    const f = fixture('eventbridge-delivery.json');
    expect(parseSesEvent({ ...f, 'detail-type': 'Email Bounced' })).toEqual({
      ok: false,
      reason: 'detail_type_mismatch',
    });
  });

  it('rejects another source', () => {
    const f = fixture('eventbridge-delivery.json');
    expect(parseSesEvent({ ...f, source: 'custom.app' })).toEqual({ ok: false, reason: 'unexpected_source' });
  });
});

describe('parseSesEvent: SNS and SQS fixtures', () => {
  it('SNS permanent bounce equals the EventBridge one (same eventId)', () => {
    const viaSns = single(fixture('sns-bounce-permanent.json'));
    const viaEb = single(fixture('eventbridge-bounce-permanent.json'));
    expect(viaSns).toEqual(viaEb);
  });

  it('SNS complaint', () => {
    expect(single(fixture('sns-complaint.json'))).toMatchObject({ type: 'complaint', suppress: 'complaint' });
  });

  it('legacy identity notification (notificationType, no tags)', () => {
    expect(single(fixture('sns-identity-notification-bounce.json'))).toMatchObject({
      type: 'bounce',
      suppress: 'hard_bounce',
      tags: {},
    });
  });

  it('SQS body carrying an SNS envelope', () => {
    expect(single(fixture('sqs-sns-delivery.json'))).toMatchObject({ type: 'delivery', tags: TAGS });
  });

  it('a batch of several SNS records yields several events', () => {
    const a = fixture('sns-bounce-permanent.json') as { Records: unknown[] };
    const b = fixture('sns-complaint.json') as { Records: unknown[] };
    const r = parseSesEvent({ Records: [...a.Records, ...b.Records] });
    expect(r.ok && r.events.map((e) => e.type)).toEqual(['bounce', 'complaint']);
  });

  it('one bad record fails the whole batch and says which', () => {
    const a = fixture('sns-bounce-permanent.json') as { Records: unknown[] };
    const r = parseSesEvent({ Records: [...a.Records, { EventSource: 'aws:sns', Sns: { Message: '{' } }] });
    expect(r).toEqual({ ok: false, reason: 'record 1: not_json' });
  });

  it('accepts a bare record and a JSON string', () => {
    const detail = fixture('eventbridge-open.json')['detail'];
    expect(single(detail).type).toBe('open');
    expect(single(JSON.stringify(detail)).type).toBe('open');
  });
});

describe('duplicate detection: eventId', () => {
  it('is identical for redeliveries and differs across types, recipients and times', () => {
    const a = single(fixture('eventbridge-bounce-permanent.json'));
    const again = single(fixture('eventbridge-bounce-permanent.json'));
    expect(again.eventId).toBe(a.eventId);
    const ids = new Set(
      [
        'eventbridge-bounce-permanent.json',
        'eventbridge-bounce-transient.json',
        'eventbridge-complaint.json',
        'eventbridge-delivery.json',
        'eventbridge-send.json',
        'eventbridge-reject.json',
        'eventbridge-open.json',
        'eventbridge-click.json',
        'eventbridge-rendering-failure.json',
        'eventbridge-delivery-delay.json',
        'eventbridge-subscription.json',
      ].map((f) => single(fixture(f)).eventId),
    );
    expect(ids.size).toBe(11);
  });

  it('ignores envelope-only differences (EventBridge id/time) and recipient order/case of the domain', () => {
    const f = fixture('eventbridge-delivery.json');
    const e1 = single(f);
    const e2 = single({ ...f, id: 'another-id', time: '2024-05-18T00:00:00Z' });
    expect(e2.eventId).toBe(e1.eventId);
    expect(sesEventId('m', 'open', ['a@x.io', 'b@x.io'], 't')).toBe(
      sesEventId('m', 'open', ['b@x.io', 'a@x.io'], 't'),
    );
    expect(sesEventId('m', 'click', ['a@x.io'], 't', 'https://a')).not.toBe(
      sesEventId('m', 'click', ['a@x.io'], 't', 'https://b'),
    );
  });

  it('two clicks on different links are different events', () => {
    const f = fixture('eventbridge-click.json');
    const detail = structuredClone(f['detail']) as { click: { link: string } };
    detail.click.link = 'https://shop.acme.example/other';
    expect(single({ ...f, detail }).eventId).not.toBe(single(f).eventId);
  });
});

describe('normalisation details', () => {
  it('lower-cases recipient domains, dedupes recipients, normalises timestamps', () => {
    const f = fixture('eventbridge-bounce-permanent.json');
    const detail = structuredClone(f['detail']) as {
      bounce: { bouncedRecipients: Array<{ emailAddress: string }>; timestamp: string };
    };
    detail.bounce.bouncedRecipients = [
      { emailAddress: 'Jane.Doe@EXAMPLE.com' },
      { emailAddress: 'Jane.Doe@example.com' },
      { emailAddress: 'bob@example.org' },
    ];
    detail.bounce.timestamp = '2024-05-17T08:00:03+02:00';
    const e = single({ ...f, detail });
    expect(e.recipients).toEqual(['Jane.Doe@example.com', 'bob@example.org']);
    expect(e.timestamp).toBe('2024-05-17T06:00:03.000Z');
  });

  it('drops a malformed runDate tag but keeps the others', () => {
    const f = fixture('eventbridge-send.json');
    const detail = structuredClone(f['detail']) as { mail: { tags: Record<string, string[]> } };
    detail.mail.tags['runDate'] = ['yesterday'];
    detail.mail.tags['campaignId'] = [];
    const e = single({ ...f, detail });
    expect(e.tags).toEqual({ segmentId: 'at_risk', sendId: 's-2024-05-17-000042' });
  });

  it('undetermined bounce does not suppress', () => {
    const f = fixture('eventbridge-bounce-permanent.json');
    const detail = structuredClone(f['detail']) as { bounce: { bounceType: string } };
    detail.bounce.bounceType = 'Undetermined';
    expect(single({ ...f, detail }).suppress).toBeUndefined();
  });

  it('accepts "RenderingFailure" spelled without a space', () => {
    const detail = structuredClone(fixture('eventbridge-rendering-failure.json')['detail']) as Record<
      string,
      unknown
    >;
    detail['eventType'] = 'RenderingFailure';
    expect(single(detail).type).toBe('rendering_failure');
  });
});

describe('parseSesEvent: unknown shapes', () => {
  it.each<[unknown, string | RegExp]>([
    [undefined, 'unrecognised_shape'],
    [null, 'unrecognised_shape'],
    [42, 'unrecognised_shape'],
    [[], 'unrecognised_shape'],
    ['not json', 'not_json'],
    [{}, 'unrecognised_shape'],
    [{ Records: [] }, 'empty_batch'],
    [{ Records: 'x' }, 'empty_batch'],
    [{ Records: [{ foo: 1 }] }, 'record 0: unrecognised_shape'],
    [{ eventType: 'Teleport', mail: {} }, 'unsupported_event_type: Teleport'],
    [
      { notificationType: 'AmazonSnsSubscriptionSucceeded' },
      'unsupported_event_type: AmazonSnsSubscriptionSucceeded',
    ],
    [{ eventType: 'Bounce', mail: {} }, /^invalid_record: /],
    [{ eventType: 'Send' }, /^invalid_record: mail/],
    ['"\\"\\\\\\"x\\\\\\"\\""', /not_json|unrecognised_shape|nested_too_deep/],
  ])('%j → %s', (input, reason) => {
    const r = parseSesEvent(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('rejects a bounce without recipients and a bad bounce type', () => {
    const f = fixture('eventbridge-bounce-permanent.json');
    const noRecipients = structuredClone(f['detail']) as { bounce: { bouncedRecipients: unknown[] } };
    noRecipients.bounce.bouncedRecipients = [];
    expect(parseSesEvent({ ...f, detail: noRecipients })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid_record: bounce\.bouncedRecipients/),
    });
    const badType = structuredClone(f['detail']) as { bounce: { bounceType: string } };
    badType.bounce.bounceType = 'Hard';
    expect(parseSesEvent({ ...f, detail: badType })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid_record: bounce\.bounceType/),
    });
  });

  it('rejects a record with a non-ISO timestamp', () => {
    const detail = structuredClone(fixture('eventbridge-open.json')['detail']) as {
      open: { timestamp: string };
    };
    detail.open.timestamp = 'yesterday';
    expect(parseSesEvent(detail)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/open\.timestamp/),
    });
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.json(), fc.string()), (input) => {
        const r = parseSesEvent(input);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});
