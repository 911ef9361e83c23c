import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertValidKeyRing,
  epochDayToIsoDay,
  InvalidKeyRingError,
  InvalidUnsubscribePayloadError,
  isoDayToEpochDay,
  signUnsubscribeToken,
  type UnsubscribeKeyRing,
  type UnsubscribeTokenPayload,
  unsubscribeUrl,
  verifyUnsubscribeToken,
} from '../../../../functions/domain/delivery/unsubscribeToken.js';

const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.from('a second secret that is long enough').toString('base64');
const ring: UnsubscribeKeyRing = { activeKeyId: 'k1', keys: { k1: K1 } };
const payload: UnsubscribeTokenPayload = {
  customerId: 'cust-42',
  campaignId: 'winback-q2',
  sendId: 'send-7',
  issuedAt: '2024-05-17',
};

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('signUnsubscribeToken / verifyUnsubscribeToken', () => {
  it('round-trips a full payload', () => {
    const token = signUnsubscribeToken(ring, payload);
    expect(verifyUnsubscribeToken(ring, token)).toEqual({ ok: true, payload, keyId: 'k1' });
  });

  it('round-trips a payload with only the customer id', () => {
    const p = { customerId: 'c', issuedAt: '1970-01-01' };
    const token = signUnsubscribeToken(ring, p);
    expect(verifyUnsubscribeToken(ring, token)).toEqual({ ok: true, payload: p, keyId: 'k1' });
  });

  it('has three URL-safe segments, the kid in the middle, and is compact', () => {
    const token = signUnsubscribeToken(ring, payload);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.k1\.[A-Za-z0-9_-]{43}$/);
    expect(token.length).toBeLessThan(160);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('is deterministic for the same key and payload, different across payloads', () => {
    expect(signUnsubscribeToken(ring, payload)).toBe(signUnsubscribeToken(ring, { ...payload }));
    expect(signUnsubscribeToken(ring, payload)).not.toBe(
      signUnsubscribeToken(ring, { ...payload, customerId: 'cust-43' }),
    );
    expect(signUnsubscribeToken(ring, payload)).not.toBe(
      signUnsubscribeToken(ring, { ...payload, issuedAt: '2024-05-18' }),
    );
  });

  it('does not reveal the customer id in a guessable, unsigned way (forging a neighbour fails)', () => {
    const token = signUnsubscribeToken(ring, payload);
    const [, kid, mac] = token.split('.');
    const forgedSegment = Buffer.from(
      JSON.stringify({ c: 'cust-43', k: 'winback-q2', s: 'send-7', d: 19860 }),
    ).toString('base64url');
    expect(verifyUnsubscribeToken(ring, `${forgedSegment}.${kid}.${mac}`)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects every single-character substitution anywhere in the token', () => {
    const token = signUnsubscribeToken(ring, payload);
    for (let i = 0; i < token.length; i++) {
      const original = token[i]!;
      for (const replacement of [B64URL[(B64URL.indexOf(original) + 1) % 64]!, '.', '~']) {
        if (replacement === original) continue;
        const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
        const result = verifyUnsubscribeToken(ring, tampered);
        expect(result.ok, `position ${i} → ${replacement}`).toBe(false);
      }
    }
  });

  it('rejects tampering at any position with any base64url character (property)', () => {
    const token = signUnsubscribeToken(ring, payload);
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...B64URL.split('')), (pos, ch) => {
        fc.pre(token[pos] !== ch);
        const tampered = token.slice(0, pos) + ch + token.slice(pos + 1);
        expect(verifyUnsubscribeToken(ring, tampered).ok).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects truncated and extended tokens', () => {
    const token = signUnsubscribeToken(ring, payload);
    expect(verifyUnsubscribeToken(ring, token.slice(0, -1))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyUnsubscribeToken(ring, token + 'A')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyUnsubscribeToken(ring, token + '.x')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyUnsubscribeToken(ring, 'A' + token).ok).toBe(false);
  });

  it('reports an unknown key id', () => {
    const token = signUnsubscribeToken(ring, payload);
    const other: UnsubscribeKeyRing = { activeKeyId: 'k2', keys: { k2: K2 } };
    expect(verifyUnsubscribeToken(other, token)).toEqual({ ok: false, reason: 'unknown_key' });
    const renamed = token.replace('.k1.', '.k9.');
    expect(verifyUnsubscribeToken(ring, renamed)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('does not treat inherited object properties as key ids', () => {
    const token = signUnsubscribeToken(ring, payload);
    const [seg, , mac] = token.split('.');
    expect(verifyUnsubscribeToken(ring, `${seg}.constructor.${mac}`)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
    expect(verifyUnsubscribeToken(ring, `${seg}.__proto__.${mac}`)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('a token signed with one key does not verify under a different secret with the same kid', () => {
    const token = signUnsubscribeToken(ring, payload);
    const impostor: UnsubscribeKeyRing = { activeKeyId: 'k1', keys: { k1: Buffer.alloc(32, 2) } };
    expect(verifyUnsubscribeToken(impostor, token)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('supports key rotation: old tokens verify while the old key stays; removal invalidates them', () => {
    const before = signUnsubscribeToken(ring, payload);
    const rotated: UnsubscribeKeyRing = { activeKeyId: 'k2', keys: { k1: K1, k2: K2 } };
    const after = signUnsubscribeToken(rotated, payload);
    expect(after.split('.')[1]).toBe('k2');
    expect(verifyUnsubscribeToken(rotated, before)).toMatchObject({ ok: true, keyId: 'k1' });
    expect(verifyUnsubscribeToken(rotated, after)).toMatchObject({ ok: true, keyId: 'k2' });
    const retired: UnsubscribeKeyRing = { activeKeyId: 'k2', keys: { k2: K2 } };
    expect(verifyUnsubscribeToken(retired, before)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(verifyUnsubscribeToken(retired, after)).toMatchObject({ ok: true });
  });

  it('accepts base64 and base64url string secrets equivalently to their bytes', () => {
    const bytes = Buffer.from('0123456789abcdef0123456789abcdef');
    const a = signUnsubscribeToken({ activeKeyId: 'x', keys: { x: bytes } }, payload);
    const b = signUnsubscribeToken({ activeKeyId: 'x', keys: { x: bytes.toString('base64') } }, payload);
    const c = signUnsubscribeToken({ activeKeyId: 'x', keys: { x: bytes.toString('base64url') } }, payload);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('refuses to sign with an invalid ring', () => {
    expect(() => signUnsubscribeToken({ activeKeyId: 'k1', keys: {} }, payload)).toThrow(InvalidKeyRingError);
    expect(() => signUnsubscribeToken({ activeKeyId: 'k3', keys: { k1: K1 } }, payload)).toThrow(
      InvalidKeyRingError,
    );
    expect(() => signUnsubscribeToken({ activeKeyId: 'k1', keys: { k1: Buffer.alloc(8) } }, payload)).toThrow(
      /at least 16 bytes/,
    );
    expect(() => signUnsubscribeToken({ activeKeyId: 'k1', keys: { k1: 'not base64 !!' } }, payload)).toThrow(
      InvalidKeyRingError,
    );
    expect(() => assertValidKeyRing({ activeKeyId: 'bad.id', keys: { 'bad.id': K1 } })).toThrow(
      InvalidKeyRingError,
    );
    expect(() => assertValidKeyRing(ring)).not.toThrow();
  });

  it('treats an unusable secret in the ring as an unknown key when verifying', () => {
    const token = signUnsubscribeToken(ring, payload);
    expect(verifyUnsubscribeToken({ activeKeyId: 'k1', keys: { k1: 'short' } }, token)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuses to sign invalid payloads', () => {
    for (const bad of [
      { customerId: '', issuedAt: '2024-01-01' },
      { customerId: 'x'.repeat(129), issuedAt: '2024-01-01' },
      { customerId: 'c', campaignId: '', issuedAt: '2024-01-01' },
      { customerId: 'c', sendId: '', issuedAt: '2024-01-01' },
      { customerId: 'c', issuedAt: '2024-02-30' },
      { customerId: 'c', issuedAt: '2024-1-01' },
      { customerId: 'c', issuedAt: '1969-12-31' },
    ]) {
      expect(() => signUnsubscribeToken(ring, bad), JSON.stringify(bad)).toThrow(
        InvalidUnsubscribePayloadError,
      );
    }
  });

  it('reports malformed for structurally invalid tokens', () => {
    for (const t of [
      '',
      'a',
      'a.b',
      'a.b.c.d',
      '..',
      `abc.k1.${'A'.repeat(42)}`,
      `abc.k1.${'A'.repeat(44)}`,
      `ab+c.k1.${'A'.repeat(43)}`,
      `abc.k 1.${'A'.repeat(43)}`,
      `${'A'.repeat(2000)}.k1.${'A'.repeat(43)}`,
    ]) {
      expect(verifyUnsubscribeToken(ring, t), t.slice(0, 40)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('reports malformed for a correctly signed but non-conforming payload', () => {
    const segment = Buffer.from(JSON.stringify({ c: 'x', d: 1, extra: true })).toString('base64url');
    const mac = createHmac('sha256', K1).update(`retention-unsub-v1.k1.${segment}`).digest('base64url');
    expect(verifyUnsubscribeToken(ring, `${segment}.k1.${mac}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never throws on arbitrary input (property)', () => {
    const token = signUnsubscribeToken(ring, payload);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.anything(),
          fc.tuple(fc.string(), fc.string(), fc.string()).map((p) => p.join('.')),
          fc.string().map((s) => token + s),
        ),
        (input) => {
          const r = verifyUnsubscribeToken(ring, input);
          expect(typeof r.ok).toBe('boolean');
          if (input !== token) expect(r.ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips arbitrary valid payloads (property)', () => {
    const id = fc.string({ minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(
        id,
        fc.option(id, { nil: undefined }),
        fc.option(id, { nil: undefined }),
        fc.integer({ min: 0, max: 40_000 }),
        (customerId, campaignId, sendId, day) => {
          const p: UnsubscribeTokenPayload = { customerId, issuedAt: epochDayToIsoDay(day) };
          if (campaignId !== undefined) p.campaignId = campaignId;
          if (sendId !== undefined) p.sendId = sendId;
          const r = verifyUnsubscribeToken(ring, signUnsubscribeToken(ring, p));
          expect(r).toEqual({ ok: true, payload: p, keyId: 'k1' });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('signing with a ring checked before', () => {
  it('notices a changed active key, a replaced keys object and an invalid ring', () => {
    const mutable: UnsubscribeKeyRing = { activeKeyId: 'k1', keys: { k1: K1, k2: K2 } };
    const first = signUnsubscribeToken(mutable, payload);
    expect(first.split('.')[1]).toBe('k1');
    mutable.activeKeyId = 'k2';
    const second = signUnsubscribeToken(mutable, payload);
    expect(second.split('.')[1]).toBe('k2');
    expect(verifyUnsubscribeToken({ activeKeyId: 'k2', keys: { k2: K2 } }, second).ok).toBe(true);
    mutable.keys = { k2: Buffer.alloc(32, 9) };
    expect(signUnsubscribeToken(mutable, payload)).not.toBe(second);
    mutable.keys['k2'] = 'short';
    expect(() => signUnsubscribeToken(mutable, payload)).toThrow(InvalidKeyRingError);
    mutable.activeKeyId = 'missing';
    expect(() => signUnsubscribeToken(mutable, payload)).toThrow(InvalidKeyRingError);
  });
});

describe('isoDayToEpochDay', () => {
  it('converts and validates calendar days', () => {
    expect(isoDayToEpochDay('1970-01-01')).toBe(0);
    expect(isoDayToEpochDay('2024-02-29')).toBe(19782);
    expect(isoDayToEpochDay('2023-02-29')).toBeUndefined();
    expect(isoDayToEpochDay('2024-13-01')).toBeUndefined();
    expect(isoDayToEpochDay('20240101')).toBeUndefined();
    expect(epochDayToIsoDay(19782)).toBe('2024-02-29');
  });
});

describe('unsubscribeUrl', () => {
  it('adds the token as a query parameter and keeps existing parameters', () => {
    expect(unsubscribeUrl('https://mail.example.com/u', 'abc.k1.def')).toBe(
      'https://mail.example.com/u?token=abc.k1.def',
    );
    expect(unsubscribeUrl('https://mail.example.com/u?lang=de#frag', 'abc.k1.def')).toBe(
      'https://mail.example.com/u?lang=de&token=abc.k1.def',
    );
  });

  it('replaces a token already present', () => {
    expect(unsubscribeUrl('https://x.example/u?token=old', 't')).toBe('https://x.example/u?token=t');
  });

  it('produces a URL whose token parameter verifies', () => {
    const token = signUnsubscribeToken(ring, payload);
    const url = new URL(unsubscribeUrl('https://x.example/unsubscribe', token));
    expect(verifyUnsubscribeToken(ring, url.searchParams.get('token'))).toMatchObject({ ok: true });
  });

  it('reads back the same token and parameters as parsing the base for every token would', () => {
    const bases = [
      'https://mail.example.com/u',
      'https://mail.example.com/u?lang=de&x=a%20b#frag',
      'https://x.example/u?token=old&lang=fr',
      'http://127.0.0.1:8787/u?',
    ];
    const tokenChars = fc.constantFrom(...'abcXYZ019_-.~ +/?&#%='.split(''));
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.string({ unit: tokenChars, minLength: 1, maxLength: 40 }),
        (base, token) => {
          const got = new URL(unsubscribeUrl(base, token));
          const expected = new URL(base);
          expected.hash = '';
          expected.searchParams.set('token', token);
          expect(got.hash).toBe('');
          expect(got.origin + got.pathname).toBe(expected.origin + expected.pathname);
          expect([...got.searchParams].sort()).toEqual([...expected.searchParams].sort());
        },
      ),
    );
  });

  it('rejects non-http(s) and relative base URLs', () => {
    expect(() => unsubscribeUrl('/relative', 't')).toThrow(/absolute URL/);
    expect(() => unsubscribeUrl('javascript:alert(1)', 't')).toThrow(/http\(s\)/);
    expect(() => unsubscribeUrl('ftp://x.example/', 't')).toThrow(/http\(s\)/);
  });
});
