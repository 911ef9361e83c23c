import type { LambdaFunctionURLEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statCounter } from '../../../functions/adapters/sendStats.js';
import { tagValue } from '../../../functions/adapters/sesMailer.js';
import { decodeSendTag, encodeSendTag } from '../../../functions/domain/delivery/sendTag.js';
import { parseSesEvent } from '../../../functions/domain/delivery/sesEvents.js';
import {
  buildSesEventBridgeEvent,
  SIMULATED_EVENT_TYPES,
} from '../../../functions/domain/delivery/simulatedSesEvent.js';
import { toUnsubscribeRequest } from '../../../functions/handlers/unsubscribe.js';

describe('sendId tag encoding', () => {
  it('round-trips any send key and survives the SES tag sanitiser unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.string({ maxLength: 30 }),
        (campaign, customer) => {
          const key = `2026-11-20#${campaign}#${customer}`;
          const tag = encodeSendTag(key);
          if (tag === undefined) return;
          expect(tagValue(tag)).toBe(tag);
          expect(decodeSendTag(tag)).toBe(key);
        },
      ),
    );
  });

  it('reads naturally and rejects what is not an encoding', () => {
    expect(encodeSendTag('2026-11-20#winback-30#C000123')).toBe('2026-11-20.23winback-30.23C000123');
    expect(encodeSendTag('a.b')).toBe('a.2Eb');
    expect(decodeSendTag('2026-11-20_winback-30_C000123')).toBe('2026-11-20_winback-30_C000123');
    for (const bad of [
      '',
      'a.2',
      'a.zz',
      'a.41' /* "A" must not be escaped */,
      'a b',
      'a.FF',
      'x'.repeat(257),
    ]) {
      expect(decodeSendTag(bad)).toBeUndefined();
    }
    expect(encodeSendTag('#'.repeat(100))).toBeUndefined();
  });
});

describe('simulated SES EventBridge payloads', () => {
  it('parse like the captured fixtures, with the tags, suppression and counters expected', () => {
    const expected = { bounce: 'hard_bounce', complaint: 'complaint', unsubscribe: 'unsubscribed' } as Record<
      string,
      string
    >;
    for (const type of SIMULATED_EVENT_TYPES) {
      const payload = buildSesEventBridgeEvent({
        type,
        messageId: 'm-1',
        recipient: 'Jane.Doe@Example.com',
        from: 'Shop <offers@shop.example.com>',
        tags: {
          runDate: '2026-11-20',
          campaignId: 'winback',
          sendId: encodeSendTag('2026-11-20#winback#C1')!,
        },
        sentAt: '2026-11-20T02:00:00.000Z',
      });
      const parsed = parseSesEvent(payload);
      expect(parsed.ok, type).toBe(true);
      if (!parsed.ok) continue;
      const [event] = parsed.events;
      expect(event!.recipients).toEqual(['Jane.Doe@example.com']);
      expect(decodeSendTag(event!.tags.sendId!)).toBe('2026-11-20#winback#C1');
      expect(event!.suppress).toBe(expected[type]);
      expect(parseSesEvent(JSON.parse(JSON.stringify(payload)))).toEqual(parsed);
    }
    const soft = parseSesEvent(
      buildSesEventBridgeEvent({
        type: 'bounce',
        transient: true,
        messageId: 'm-1',
        recipient: 'a@example.com',
        from: 'offers@shop.example.com',
        tags: {},
        sentAt: '2026-11-20T02:00:00.000Z',
      }),
    );
    expect(soft.ok && soft.events[0]!.suppress).toBeUndefined();
    expect(soft.ok && statCounter(soft.events[0]!)).toBe('bounce_transient');
  });
});

describe('Function URL event → unsubscribe request', () => {
  const base = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/u',
    requestContext: { http: { method: 'POST', path: '/u' } },
  };

  it('decodes base64 bodies, takes the first of repeated query values and finds the content type in any case', () => {
    const req = toUnsubscribeRequest({
      ...base,
      rawQueryString: 'token=abc.k1.sig&token=second',
      queryStringParameters: { token: 'abc.k1.sig,second' },
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('List-Unsubscribe=One-Click').toString('base64'),
      isBase64Encoded: true,
    } as unknown as LambdaFunctionURLEvent);
    expect(req).toEqual({
      method: 'POST',
      query: { token: 'abc.k1.sig' },
      body: 'List-Unsubscribe=One-Click',
      contentType: 'application/x-www-form-urlencoded',
      site: { secFetchSite: undefined, origin: undefined, hosts: [] },
    });
  });

  it('keeps plain bodies and falls back to queryStringParameters', () => {
    const req = toUnsubscribeRequest({
      ...base,
      requestContext: { http: { method: 'GET', path: '/u' } },
      queryStringParameters: { token: 't' },
      headers: {},
      body: 'confirm=yes',
      isBase64Encoded: false,
    } as unknown as LambdaFunctionURLEvent);
    expect(req).toEqual({
      method: 'GET',
      query: { token: 't' },
      body: 'confirm=yes',
      contentType: undefined,
      site: { secFetchSite: undefined, origin: undefined, hosts: [] },
    });
  });

  it('passes on what tells a cross-site form POST apart: Sec-Fetch-Site, Origin and the hosts', () => {
    const req = toUnsubscribeRequest({
      ...base,
      requestContext: { http: { method: 'POST', path: '/u' }, domainName: 'abc.lambda-url.eu-west-1.on.aws' },
      headers: {
        Host: 'abc.lambda-url.eu-west-1.on.aws',
        'X-Forwarded-Host': 'prefs.shop.example',
        Origin: 'https://prefs.shop.example',
        'Sec-Fetch-Site': 'same-origin',
      },
      isBase64Encoded: false,
    } as unknown as LambdaFunctionURLEvent);
    expect(req.site).toEqual({
      secFetchSite: 'same-origin',
      origin: 'https://prefs.shop.example',
      hosts: ['abc.lambda-url.eu-west-1.on.aws', 'prefs.shop.example', 'abc.lambda-url.eu-west-1.on.aws'],
    });
  });
});
