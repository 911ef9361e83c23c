import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  foldHeader,
  InvalidUnsubscribeTargetError,
  isValidHeaderName,
  listUnsubscribeHeaders,
  SES_MAX_HEADER_VALUE,
  safeHeader,
  safeHeaderValue,
  validateUnsubscribeHttpUrl,
  validateUnsubscribeMailto,
} from '../../../../functions/domain/delivery/headers.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('safeHeaderValue', () => {
  it.each([
    ['Hello Jane', 'Hello Jane'],
    ['Hello\r\nBcc: victim@example.org', 'Hello Bcc: victim@example.org'],
    ['Subject\nX-Injected: 1', 'Subject X-Injected: 1'],
    ['A\rB', 'A B'],
    ['Tab\there', 'Tab here'],
    ['null\u0000byte', 'null byte'],
    ['nel\u0085line', 'nel line'],
    ['ls\u2028ps\u2029end', 'ls ps end'],
    ['bidi\u202eevil', 'bidi evil'],
    ['\ufeffBOM', 'BOM'],
    ['  many   spaces  ', 'many spaces'],
    ['Grüße, Zoë 🎉', 'Grüße, Zoë 🎉'],
    ['\r\n\r\n', ''],
  ])('cleans %j to %j', (input, expected) => {
    expect(safeHeaderValue(input)).toBe(expected);
  });

  it('turns non-strings into text and nullish into empty', () => {
    expect(safeHeaderValue(undefined)).toBe('');
    expect(safeHeaderValue(null)).toBe('');
    expect(safeHeaderValue(42)).toBe('42');
  });

  it('limits length with an ellipsis, never splitting a surrogate pair', () => {
    expect(safeHeaderValue('abcdefghij', { maxLength: 5 })).toBe('abcd…');
    expect(safeHeaderValue('abcdefghij', { maxLength: 5, ellipsis: '' })).toBe('abcde');
    expect(safeHeaderValue('ab cdefghij', { maxLength: 4 })).toBe('ab…');
    const emoji = '🎉'.repeat(10);
    const out = safeHeaderValue(emoji, { maxLength: 3 });
    expect(out).toBe('🎉🎉…');
    expect(out.isWellFormed()).toBe(true);
    expect(safeHeaderValue('x'.repeat(2000))).toHaveLength(SES_MAX_HEADER_VALUE);
    expect(safeHeaderValue('abc', { maxLength: 1, ellipsis: '...' })).toBe('.');
  });

  it('rejects a nonsensical maxLength', () => {
    expect(() => safeHeaderValue('x', { maxLength: 0 })).toThrow();
  });

  it('never outputs control characters, line breaks or over-long values (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 1200 }),
        fc.integer({ min: 1, max: 900 }),
        (s, max) => {
          const out = safeHeaderValue(s, { maxLength: max });
          expect(out).not.toMatch(UNSAFE);
          expect(Array.from(out).length).toBeLessThanOrEqual(max);
          expect(out).toBe(out.trim());
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('header names and safeHeader', () => {
  it('validates names', () => {
    expect(isValidHeaderName('X-Campaign-Id')).toBe(true);
    expect(isValidHeaderName('Bad:Name')).toBe(false);
    expect(isValidHeaderName('Bad Name')).toBe(false);
    expect(isValidHeaderName('X\r\nBcc')).toBe(false);
    expect(isValidHeaderName('')).toBe(false);
    expect(isValidHeaderName('Ä')).toBe(false);
  });

  it('builds a sanitised header or throws on a bad name', () => {
    expect(safeHeader('X-Name', 'Jane\r\nBcc: x@y.z')).toEqual({ Name: 'X-Name', Value: 'Jane Bcc: x@y.z' });
    expect(() => safeHeader('X-Name\r\nBcc', 'v')).toThrow(/invalid header name/);
  });
});

describe('foldHeader', () => {
  it('keeps a short header on one line', () => {
    expect(foldHeader('Subject', 'Hello')).toBe('Subject: Hello');
  });

  it('folds long values at spaces with CRLF + space and keeps the words', () => {
    const value = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const folded = foldHeader('Subject', value);
    const lines = folded.split('\r\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    for (const line of lines.slice(1)) expect(line.startsWith(' ')).toBe(true);
    expect(lines.join('').replace(/^Subject: /, '')).toBe(value.replace(/ /g, ' '));
    expect(folded.replace(/\r\n /g, ' ')).toBe(`Subject: ${value}`);
  });

  it('cannot be used to inject a header', () => {
    const folded = foldHeader('Subject', 'Hi\r\nBcc: victim@example.org');
    expect(folded).toBe('Subject: Hi Bcc: victim@example.org');
    expect(() => foldHeader('Sub:ject', 'x')).toThrow();
  });

  it('only contains CRLF followed by a space (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (s) => {
        const folded = foldHeader('Subject', s);
        expect(folded.replace(/\r\n /g, '')).not.toMatch(UNSAFE);
      }),
      { numRuns: 200 },
    );
  });
});

describe('validateUnsubscribeHttpUrl', () => {
  it('accepts https and local http', () => {
    expect(validateUnsubscribeHttpUrl('https://mail.example.com/u?token=a.b.c')).toBe(
      'https://mail.example.com/u?token=a.b.c',
    );
    expect(validateUnsubscribeHttpUrl('http://localhost:3000/u?token=t')).toBe(
      'http://localhost:3000/u?token=t',
    );
    expect(validateUnsubscribeHttpUrl('http://127.0.0.1:8080/u')).toBe('http://127.0.0.1:8080/u');
    expect(validateUnsubscribeHttpUrl('http://[::1]/u')).toBe('http://[::1]/u');
  });

  it('encodes characters that would break the header', () => {
    const out = validateUnsubscribeHttpUrl('https://x.example/u?a=1,2&b=<x> y"z');
    expect(out).not.toMatch(/[<>," ]/);
    expect(out).toBe('https://x.example/u?a=1%2C2&b=%3Cx%3E%20y%22z');
  });

  it.each([
    ['http://example.com/u', /https/],
    ['http://localhost.evil.com/u', /https/],
    ['http://127.0.0.2/u', /https/],
    ['ftp://example.com/u', /https/],
    ['javascript:alert(1)', /https/],
    ['mailto:x@example.com', /https/],
    ['/relative/path', /absolute/],
    ['not a url', /absolute/],
    ['https://user:pass@example.com/u', /credentials/],
    ['https://example.com/u#frag', /fragment/],
    [`https://example.com/${'a'.repeat(2100)}`, /too long/],
  ])('rejects %s', (url, message) => {
    expect(() => validateUnsubscribeHttpUrl(url)).toThrow(InvalidUnsubscribeTargetError);
    expect(() => validateUnsubscribeHttpUrl(url)).toThrow(message);
  });

  it('a CR/LF in the URL cannot reach the header', () => {
    const out = validateUnsubscribeHttpUrl('https://example.com/u?x=1\r\nBcc: a@b.c');
    expect(out).not.toMatch(/[\r\n ]/);
  });
});

describe('validateUnsubscribeMailto', () => {
  it('accepts a bare address or a mailto URI with an encoded query', () => {
    expect(validateUnsubscribeMailto('unsub@Example.com')).toBe('mailto:unsub@example.com');
    expect(validateUnsubscribeMailto('mailto:unsub@example.com?subject=unsubscribe%20me')).toBe(
      'mailto:unsub@example.com?subject=unsubscribe%20me',
    );
  });

  it.each([
    'not-an-address',
    'mailto:',
    ' unsub@example.com',
    'unsub@example.com?subject=a b',
    'unsub@example.com?subject=<x>',
    'unsub@example.com?subject=a\r\nBcc: x@y.z',
    'un sub@example.com',
  ])('rejects %j', (m) => {
    expect(() => validateUnsubscribeMailto(m)).toThrow(InvalidUnsubscribeTargetError);
  });
});

describe('listUnsubscribeHeaders', () => {
  it('builds the RFC 8058 pair with https only', () => {
    expect(listUnsubscribeHeaders({ httpsUrl: 'https://x.example/u?token=a.b.c' })).toEqual([
      { Name: 'List-Unsubscribe', Value: '<https://x.example/u?token=a.b.c>' },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('lists https first and mailto second', () => {
    const [lu] = listUnsubscribeHeaders({
      httpsUrl: 'https://x.example/u?token=t',
      mailto: 'unsubscribe@x.example',
    });
    expect(lu.Value).toBe('<https://x.example/u?token=t>, <mailto:unsubscribe@x.example>');
  });

  it('throws on an invalid target instead of sending a broken unsubscribe', () => {
    expect(() => listUnsubscribeHeaders({ httpsUrl: 'http://x.example/u' })).toThrow(
      InvalidUnsubscribeTargetError,
    );
    expect(() => listUnsubscribeHeaders({ httpsUrl: 'https://x.example/u', mailto: 'bogus' })).toThrow(
      InvalidUnsubscribeTargetError,
    );
  });

  it('rejects a value longer than SES allows', () => {
    expect(() =>
      listUnsubscribeHeaders({ httpsUrl: `https://x.example/u?token=${'a'.repeat(900)}` }),
    ).toThrow(/exceeds/);
  });

  it('header values never contain CR/LF whatever the URL (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (junk) => {
        try {
          const headers = listUnsubscribeHeaders({ httpsUrl: `https://x.example/u?t=${junk}` });
          for (const h of headers) expect(h.Value).not.toMatch(UNSAFE);
          expect(headers[0].Value).toMatch(/^<https:\/\/x\.example\/u\?t=[\x21-\x7e]*>$/);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidUnsubscribeTargetError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
