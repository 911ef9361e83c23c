import { describe, expect, it } from 'vitest';
import { parseKeyRing } from '../../../../functions/adapters/unsubscribeKeys.js';
import {
  KeyRingFormatError,
  nextKeyId,
  parseRotatingKeyRing,
  type RotatingKeyRing,
  rotateKeyRing,
  rotationProblems,
  serializeRotatingKeyRing,
} from '../../../../functions/domain/delivery/keyRotation.js';
import {
  epochDayToIsoDay,
  isoDayToEpochDay,
  signUnsubscribeToken,
  verifyUnsubscribeToken,
} from '../../../../functions/domain/delivery/unsubscribeToken.js';

const secret = (n: number) => Buffer.alloc(32, n).toString('base64url');
/** The ring as the stack's secret starts: CDK generates 48 letters and digits for k1. */
const INITIAL = '{"activeKeyId":"k1","k1":"Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL"}';
const KEEP = 730;

function addDays(day: string, n: number): string {
  return epochDayToIsoDay(isoDayToEpochDay(day)! + n);
}

describe('unsubscribe key rotation (pure steps)', () => {
  it('first publishes a key, and only the next rotation signs with it', () => {
    const ring = parseRotatingKeyRing(INITIAL);
    const first = rotateKeyRing(ring, { today: '2027-01-01', keepDays: KEEP }, secret(2));
    expect(first.ring.activeKeyId).toBe('k1');
    expect(first.published).toBe('k2');
    expect(first.activated).toBeUndefined();
    expect(first.ring.next).toBe('k2');
    expect(first.ring.keys.k2).toBe(secret(2));
    expect(first.dropped).toEqual([]);

    const second = rotateKeyRing(first.ring, { today: '2027-04-01', keepDays: KEEP }, secret(3));
    expect(second.ring.activeKeyId).toBe('k2');
    expect(second.activated).toBe('k2');
    expect(second.ring.next).toBe('k3');
    expect(second.ring.retired).toEqual({ k1: '2027-04-01' });
    expect(Object.keys(second.ring.keys).sort()).toEqual(['k1', 'k2', 'k3']);
  });

  it('keeps every key verifying for keepDays after it stopped signing, then drops it', () => {
    let ring = parseRotatingKeyRing(INITIAL);
    const links: { token: string; issued: string }[] = [];
    let day = '2027-01-01';
    // Three years of 90-day rotations, a link signed every day with the key signing that day. A ring
    // is used from its rotation to the next: each link must verify with every ring used at most
    // KEEP days after the link was sent.
    for (let r = 0; r < 12; r++) {
      for (let d = 0; d < 90; d++) {
        const issued = addDays(day, d);
        links.push({
          token: signUnsubscribeToken(ring, { customerId: `c${r}-${d}`, issuedAt: issued }),
          issued,
        });
      }
      day = addDays(day, 90);
      const next = rotateKeyRing(ring, { today: day, keepDays: KEEP }, secret(10 + r));
      expect(rotationProblems(ring, next.ring, { today: day, keepDays: KEEP })).toEqual([]);
      ring = next.ring;
      for (const link of links) {
        if (isoDayToEpochDay(day)! - isoDayToEpochDay(link.issued)! > KEEP) continue;
        expect(verifyUnsubscribeToken(ring, link.token).ok, `${link.issued} on ${day}`).toBe(true);
      }
    }
    expect(links).toHaveLength(12 * 90);
    // The oldest links outlived their lifetime: their key is gone.
    expect(verifyUnsubscribeToken(ring, links[0]!.token)).toEqual({ ok: false, reason: 'unknown_key' });
    // After two years a ring holds the keys of the last ~730 days plus active and next, not all 13.
    expect(Object.keys(ring.keys).length).toBeLessThanOrEqual(Math.ceil(KEEP / 90) + 3);
    expect(ring.keys.k1).toBeUndefined();
  });

  it('drops a key only strictly after keepDays since its retirement', () => {
    const ring: RotatingKeyRing = {
      activeKeyId: 'k2',
      keys: { k1: secret(1), k2: secret(2), k3: secret(3) },
      next: 'k3',
      retired: { k1: '2027-01-01' },
    };
    const onTheDay = rotateKeyRing(ring, { today: addDays('2027-01-01', 30), keepDays: 30 }, secret(4));
    expect(onTheDay.dropped).toEqual([]);
    const after = rotateKeyRing(ring, { today: addDays('2027-01-01', 31), keepDays: 30 }, secret(4));
    expect(after.dropped).toEqual(['k1']);
    expect(after.ring.retired.k1).toBeUndefined();
  });

  it('gives a key written by hand (no retirement day) a whole lifetime from the rotation', () => {
    const ring = parseRotatingKeyRing(
      JSON.stringify({ activeKeyId: 'k1', k1: secret(1), legacy: secret(9) }),
    );
    const r = rotateKeyRing(ring, { today: '2027-01-01', keepDays: 30 }, secret(2));
    expect(r.ring.retired).toEqual({ legacy: '2027-01-01' });
    expect(r.ring.keys.legacy).toBe(secret(9));
  });

  it('never hands out a key id twice', () => {
    expect(nextKeyId({ keys: { local1: 'x' } })).toBe('k1');
    expect(nextKeyId({ keys: { k2: 'x', k10: 'y', custom: 'z' } })).toBe('k11');
  });

  it('stores a ring that the flat reader and the signer still understand', () => {
    const r = rotateKeyRing(
      parseRotatingKeyRing(INITIAL),
      { today: '2027-01-01', keepDays: KEEP },
      secret(2),
    );
    const text = serializeRotatingKeyRing(r.ring);
    expect(JSON.parse(text)).toMatchObject({ activeKeyId: 'k1', rotation: { next: 'k2', retired: {} } });
    // adapters/unsubscribeKeys.ts (what signs and verifies today) reads the same text.
    const flat = parseKeyRing(text);
    expect(flat.activeKeyId).toBe('k1');
    expect(Object.keys(flat.keys).sort()).toEqual(['k1', 'k2']);
    expect(parseRotatingKeyRing(text)).toEqual(r.ring);
  });

  it('refuses a malformed ring, saying which member is wrong', () => {
    expect(() => parseRotatingKeyRing('nope', 'AWSCURRENT')).toThrow(/AWSCURRENT: not JSON/);
    expect(() => parseRotatingKeyRing('{"k1":"x"}')).toThrow(/activeKeyId: missing/);
    expect(() => parseRotatingKeyRing(JSON.stringify({ activeKeyId: 'k1', k1: secret(1), k2: 3 }))).toThrow(
      /k2: a key must be a string/,
    );
    expect(() =>
      parseRotatingKeyRing(JSON.stringify({ activeKeyId: 'k1', k1: secret(1), rotation: { next: 'k9' } })),
    ).toThrow(/rotation\.next: must name a key/);
    expect(() =>
      parseRotatingKeyRing(
        JSON.stringify({ activeKeyId: 'k1', k1: secret(1), rotation: { retired: { k1: 'soon' } } }),
      ),
    ).toThrow(/rotation\.retired\.k1: must be a YYYY-MM-DD day/);
    expect(() => parseRotatingKeyRing(JSON.stringify({ activeKeyId: 'k1', k1: 'short' }))).toThrow(
      KeyRingFormatError,
    );
    expect(() =>
      rotateKeyRing(parseRotatingKeyRing(INITIAL), { today: '2027-01-01', keepDays: 0 }, secret(2)),
    ).toThrow(/keepDays/);
  });

  it('finds what must stop a rotation: a key dropped too early, a changed key, an unpublished active key', () => {
    const before: RotatingKeyRing = {
      activeKeyId: 'k2',
      keys: { k1: secret(1), k2: secret(2), k3: secret(3) },
      next: 'k3',
      retired: { k1: '2027-01-01' },
    };
    const policy = { today: '2027-02-01', keepDays: 730 };
    const good = rotateKeyRing(before, policy, secret(4)).ring;
    expect(rotationProblems(before, good, policy)).toEqual([]);
    const { k1: _, ...withoutK1 } = good.keys;
    expect(rotationProblems(before, { ...good, keys: withoutK1 }, policy)).toEqual([
      'key k1 was dropped while links it signed may still be used',
    ]);
    expect(rotationProblems(before, { ...good, keys: { ...good.keys, k2: secret(7) } }, policy)).toEqual([
      'key k2 was changed',
    ]);
    expect(rotationProblems(before, { ...good, activeKeyId: 'k4' }, policy)).toEqual([
      'its active key k4 was not published by an earlier rotation',
    ]);
  });
});
