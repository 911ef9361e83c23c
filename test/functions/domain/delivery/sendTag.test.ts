import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSendTag,
  encodeSendTag,
  SES_TAG_VALUE_MAX,
} from '../../../../functions/domain/delivery/sendTag.js';

/** The encoding as documented, byte by byte: the reference the implementation must match. */
function referenceEncoding(sendKey: string): string {
  let out = '';
  for (const byte of Buffer.from(sendKey, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_@-]/.test(ch) ? ch : `.${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const TAG_VALUE = /^[A-Za-z0-9_.@-]*$/;

describe('encodeSendTag / decodeSendTag', () => {
  it('encodes a ledger key readably and decodes it back', () => {
    const key = '2026-11-20#winback-30#C000123';
    expect(encodeSendTag(key)).toBe('2026-11-20.23winback-30.23C000123');
    expect(decodeSendTag('2026-11-20.23winback-30.23C000123')).toBe(key);
    expect(encodeSendTag('a.b')).toBe('a.2Eb');
    expect(encodeSendTag('')).toBeUndefined();
  });

  it('matches the byte-wise reference for any text, and round-trips when it fits', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        (key) => {
          const encoded = encodeSendTag(key);
          const reference = referenceEncoding(key);
          if (reference.length === 0 || reference.length > SES_TAG_VALUE_MAX) {
            expect(encoded).toBeUndefined();
            return;
          }
          expect(encoded).toBe(reference);
          expect(encoded).toMatch(TAG_VALUE);
          expect(decodeSendTag(encoded!)).toBe(key);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses keys whose encoding exceeds the SES limit, ASCII or not', () => {
    expect(encodeSendTag('#'.repeat(86))).toBeUndefined();
    expect(encodeSendTag('#'.repeat(85))).toHaveLength(255);
    expect(encodeSendTag('é'.repeat(43))).toBeUndefined();
    expect(encodeSendTag('x'.repeat(256))).toHaveLength(256);
    expect(encodeSendTag('x'.repeat(257))).toBeUndefined();
  });

  it('rejects what is not exactly one encoding', () => {
    expect(decodeSendTag('a.2')).toBeUndefined();
    expect(decodeSendTag('a.61')).toBeUndefined();
    expect(decodeSendTag('a#b')).toBeUndefined();
    expect(decodeSendTag('')).toBeUndefined();
  });
});
