import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  handleUnsubscribeRequest,
  type UnsubscribeHttpRequest,
} from '../../../../functions/domain/delivery/unsubscribeRequest.js';
import {
  signUnsubscribeToken,
  type UnsubscribeKeyRing,
} from '../../../../functions/domain/delivery/unsubscribeToken.js';

const ring: UnsubscribeKeyRing = { activeKeyId: 'k1', keys: { k1: Buffer.alloc(32, 7) } };
const token = signUnsubscribeToken(ring, {
  customerId: 'cust-42',
  campaignId: 'winback-q2',
  issuedAt: '2024-05-17',
});
const FORM = 'application/x-www-form-urlencoded';

function req(partial: Partial<UnsubscribeHttpRequest>): UnsubscribeHttpRequest {
  return { method: 'GET', query: { token }, body: undefined, contentType: undefined, ...partial };
}

const oneClick = (extra: Partial<UnsubscribeHttpRequest> = {}) =>
  req({ method: 'POST', body: 'List-Unsubscribe=One-Click', contentType: FORM, ...extra });

describe('handleUnsubscribeRequest: RFC 8058 one-click POST', () => {
  it('unsubscribes with 200 and a suppress action', () => {
    const res = handleUnsubscribeRequest(oneClick(), ring);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.action).toEqual({
      suppress: { customerId: 'cust-42', campaignId: 'winback-q2', reason: 'unsubscribed' },
    });
  });

  it('sets no cookie and does not redirect', () => {
    const res = handleUnsubscribeRequest(oneClick(), ring);
    const names = Object.keys(res.headers).map((h) => h.toLowerCase());
    expect(names).not.toContain('set-cookie');
    expect(names).not.toContain('location');
    expect(res.headers['Cache-Control']).toBe('no-store');
    expect(res.headers['Referrer-Policy']).toBe('no-referrer');
  });

  it('accepts a content type with a charset parameter', () => {
    const res = handleUnsubscribeRequest(
      oneClick({ contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' }),
      ring,
    );
    expect(res.action).toBeDefined();
  });

  it('accepts multipart/form-data', () => {
    const body =
      '--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n';
    const res = handleUnsubscribeRequest(
      oneClick({ body, contentType: 'multipart/form-data; boundary=XyZ' }),
      ring,
    );
    expect(res.status).toBe(200);
    expect(res.action?.suppress?.customerId).toBe('cust-42');
  });

  it('multipart with another value does not unsubscribe', () => {
    const body = '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nNope\r\n--b--\r\n';
    const res = handleUnsubscribeRequest(
      oneClick({ body, contentType: 'multipart/form-data; boundary="b"' }),
      ring,
    );
    expect(res.status).toBe(400);
    expect(res.action?.suppress).toBeUndefined();
  });

  it('omits campaignId when the token has none', () => {
    const t = signUnsubscribeToken(ring, { customerId: 'c-1', issuedAt: '2024-05-17' });
    const res = handleUnsubscribeRequest(oneClick({ query: { token: t } }), ring);
    expect(res.action).toEqual({ suppress: { customerId: 'c-1', reason: 'unsubscribed' } });
  });

  it('is idempotent: repeating the POST answers the same', () => {
    const a = handleUnsubscribeRequest(oneClick(), ring);
    const b = handleUnsubscribeRequest(oneClick(), ring);
    expect(b).toEqual(a);
  });
});

describe('handleUnsubscribeRequest: GET opens the preference centre and never unsubscribes', () => {
  it('asks the handler to show the centre for the token, with no change', () => {
    const res = handleUnsubscribeRequest(req({}), ring);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/html; charset=utf-8');
    expect(res.action?.suppress).toBeUndefined();
    expect(res.action?.preferences).toEqual({
      kind: 'show',
      customerId: 'cust-42',
      campaignId: 'winback-q2',
      token,
    });
  });

  it('a GET carrying one-click or confirm parameters still changes nothing', () => {
    const res = handleUnsubscribeRequest(
      req({
        query: { token, confirm: 'yes', 'List-Unsubscribe': 'One-Click', action: 'unsubscribe_all' },
        body: 'List-Unsubscribe=One-Click',
      }),
      ring,
    );
    expect(res.status).toBe(200);
    expect(res.action?.suppress).toBeUndefined();
    expect(res.action?.preferences?.kind).toBe('show');
  });

  it('accepts lower-case method names', () => {
    expect(handleUnsubscribeRequest(req({ method: 'get' }), ring).status).toBe(200);
  });
});

describe('handleUnsubscribeRequest: POST from the confirmation form', () => {
  it('confirm=yes unsubscribes and shows an HTML confirmation', () => {
    const res = handleUnsubscribeRequest(
      req({ method: 'POST', body: 'confirm=yes', contentType: FORM }),
      ring,
    );
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.body).toContain('You have been unsubscribed');
    expect(res.action?.suppress).toEqual({
      customerId: 'cust-42',
      campaignId: 'winback-q2',
      reason: 'unsubscribed',
    });
  });

  it('action=unsubscribe_all unsubscribes like confirm=yes', () => {
    const res = handleUnsubscribeRequest(
      req({ method: 'POST', body: 'action=unsubscribe_all', contentType: FORM }),
      ring,
    );
    expect(res.action?.suppress?.customerId).toBe('cust-42');
  });

  it('takes the token from the form body when the query has none', () => {
    const body = `token=${encodeURIComponent(token)}&confirm=yes`;
    const res = handleUnsubscribeRequest(req({ method: 'POST', query: {}, body, contentType: FORM }), ring);
    expect(res.action?.suppress?.customerId).toBe('cust-42');
  });

  it.each(['', 'confirm=no', 'confirm=YES', 'List-Unsubscribe=one-click', 'foo=bar', 'action=nope'])(
    'POST body %j without a valid confirmation → 400, the centre shown with the problem, no change',
    (body) => {
      const res = handleUnsubscribeRequest(req({ method: 'POST', body, contentType: FORM }), ring);
      expect(res.status).toBe(400);
      expect(res.action?.suppress).toBeUndefined();
      expect(res.action?.preferences?.kind).toBe('show');
      expect(res.action?.preferences?.problems?.length).toBeGreaterThan(0);
    },
  );

  it('an unsupported content type → 415, no action', () => {
    const res = handleUnsubscribeRequest(
      req({ method: 'POST', body: '{"List-Unsubscribe":"One-Click"}', contentType: 'application/json' }),
      ring,
    );
    expect(res.status).toBe(415);
    expect(res.action).toBeUndefined();
  });

  it('an oversized body → 413, no action', () => {
    const res = handleUnsubscribeRequest(
      oneClick({ body: `List-Unsubscribe=One-Click&pad=${'x'.repeat(20_000)}` }),
      ring,
    );
    expect(res.status).toBe(413);
    expect(res.action).toBeUndefined();
  });
});

describe('handleUnsubscribeRequest: bad tokens', () => {
  it.each([
    ['missing', {}],
    ['empty', { token: '' }],
    ['undefined query', undefined],
  ])('%s token → 400', (_label, query) => {
    for (const r of [req({ query }), oneClick({ query })]) {
      const res = handleUnsubscribeRequest(r, ring);
      expect(res.status).toBe(400);
      expect(res.action).toBeUndefined();
    }
  });

  it('malformed token → 400', () => {
    const res = handleUnsubscribeRequest(oneClick({ query: { token: 'not-a-token' } }), ring);
    expect(res.status).toBe(400);
    expect(res.action).toBeUndefined();
  });

  it('altered token → 403', () => {
    const parts = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ c: 'cust-43', k: 'winback-q2', d: 19860 })).toString('base64url')}.${parts[1]}.${parts[2]}`;
    for (const r of [req({ query: { token: forged } }), oneClick({ query: { token: forged } })]) {
      const res = handleUnsubscribeRequest(r, ring);
      expect(res.status).toBe(403);
      expect(res.action).toBeUndefined();
    }
  });

  it('token from a retired key → 403', () => {
    const retired: UnsubscribeKeyRing = { activeKeyId: 'k2', keys: { k2: Buffer.alloc(32, 9) } };
    const res = handleUnsubscribeRequest(oneClick(), retired);
    expect(res.status).toBe(403);
    expect(res.action).toBeUndefined();
  });

  it('never acts on a token that was not signed by the ring (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('GET', 'POST'), (t, method) => {
        fc.pre(t !== token);
        const res = handleUnsubscribeRequest(
          { method, query: { token: t }, body: 'List-Unsubscribe=One-Click&confirm=yes', contentType: FORM },
          ring,
        );
        expect(res.action).toBeUndefined();
        expect([400, 403]).toContain(res.status);
      }),
      { numRuns: 300 },
    );
  });
});

describe('handleUnsubscribeRequest: other methods', () => {
  it.each(['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', ''])('%s → 405 with Allow', (method) => {
    const res = handleUnsubscribeRequest(oneClick({ method }), ring);
    expect(res.status).toBe(405);
    expect(res.headers['Allow']).toBe('GET, POST');
    expect(res.action).toBeUndefined();
  });
});

describe('escaping', () => {
  it('escapes HTML metacharacters', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;',
    );
  });

  it('no echoed input can inject markup (property)', () => {
    const payload = fc.string().map((x) => `"><img src=x onerror=alert(1)>${x}`);
    fc.assert(
      fc.property(payload, fc.constantFrom('GET', 'POST', 'PUT'), (t, method) => {
        for (const query of [{ token: t }, { token, extra: t }]) {
          const res = handleUnsubscribeRequest(
            { method, query, body: `token=${t}&confirm=yes`, contentType: FORM },
            ring,
          );
          expect(res.body).not.toContain('<img');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the expired-link page carries the token in its action and as a hidden field, once each', () => {
    const res = handleUnsubscribeRequest(req({}), ring, { topics: [], today: '2025-05-17', maxAgeDays: 180 });
    expect(res.status).toBe(403);
    expect(res.body.match(/<form[^>]*>/g)).toEqual([`<form method="post" action="?token=${token}">`]);
    expect(res.body).toContain(`<input type="hidden" name="token" value="${token}">`);
  });
});

describe('handleUnsubscribeRequest: the preference centre form', () => {
  const policy = { topics: [{ id: 'offers', label: 'Offers' }], today: '2024-06-01', maxAgeDays: 180 };
  const save = (extra: Partial<UnsubscribeHttpRequest> = {}) =>
    req({
      method: 'POST',
      body: 'action=save&topic_offers=on&frequency=weekly',
      contentType: FORM,
      ...extra,
    });

  it('a valid save asks the handler to apply the validated change', () => {
    const res = handleUnsubscribeRequest(save(), ring, policy);
    expect(res.status).toBe(200);
    expect(res.action?.preferences).toEqual({
      kind: 'apply',
      customerId: 'cust-42',
      campaignId: 'winback-q2',
      token,
      request: { kind: 'save', change: { topics: { offers: true }, pause: false, frequency: 'weekly' } },
    });
  });

  it('an unknown topic → 400 and the centre with the problem, nothing applied', () => {
    const res = handleUnsubscribeRequest(save({ body: 'action=save&topic_sports=on' }), ring, policy);
    expect(res.status).toBe(400);
    expect(res.action?.preferences).toMatchObject({
      kind: 'show',
      problems: ['field topic_sports: unknown topic "sports"'],
    });
  });

  it.each([
    [{ secFetchSite: 'cross-site', hosts: ['u.example'] }],
    [{ secFetchSite: 'same-site', hosts: ['u.example'] }],
    [{ origin: 'https://evil.example', hosts: ['u.example'] }],
    [{ origin: 'not a url', hosts: ['u.example'] }],
  ])('a form POST a browser marks as from another site is refused (%j)', (site) => {
    for (const body of ['action=save&topic_offers=on', 'action=unsubscribe_all', 'confirm=yes']) {
      const res = handleUnsubscribeRequest(save({ body, site }), ring, policy);
      expect(res.status).toBe(403);
      expect(res.action).toBeUndefined();
      expect(res.body).toContain('another website');
    }
  });

  it('our own page (same origin, or no browser headers) is accepted; one-click needs no such header', () => {
    for (const site of [
      { secFetchSite: 'same-origin', origin: 'https://u.example', hosts: ['u.example'] },
      { origin: 'https://u.example', hosts: ['x.lambda-url', 'u.example'] },
      { origin: 'null', hosts: ['u.example'] },
      { hosts: [] },
    ]) {
      expect(handleUnsubscribeRequest(save({ site }), ring, policy).action?.preferences?.kind).toBe('apply');
    }
    const res = handleUnsubscribeRequest(
      oneClick({ site: { secFetchSite: 'cross-site', hosts: ['u.example'] } }),
      ring,
      policy,
    );
    expect(res.action?.suppress?.customerId).toBe('cust-42');
  });

  it('an expired link can no longer change preferences, but still unsubscribes', () => {
    const late = { ...policy, today: '2024-11-14' }; // 181 days after 2024-05-17
    for (const r of [req({}), save()]) {
      const res = handleUnsubscribeRequest(r, ring, late);
      expect(res.status).toBe(403);
      expect(res.action).toBeUndefined();
      expect(res.body).toContain('This link has expired');
    }
    expect(handleUnsubscribeRequest(req({}), ring, { ...policy, today: '2024-11-13' }).status).toBe(200);
    const all = handleUnsubscribeRequest(save({ body: 'action=unsubscribe_all' }), ring, late);
    expect(all.action?.suppress?.customerId).toBe('cust-42');
    expect(handleUnsubscribeRequest(oneClick(), ring, late).action?.suppress).toBeDefined();
  });
});
