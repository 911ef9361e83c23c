import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EmailInvalidReason,
  hashEmail,
  isValidEmail,
  maskEmail,
  normalizeEmail,
  redactEmails,
  validateEmail,
} from '../../../../functions/domain/delivery/emailAddress.js';

describe('validateEmail', () => {
  const valid: Array<[string, string]> = [
    ['jane@example.com', 'jane@example.com'],
    ['  Jane.Doe@Example.COM ', 'Jane.Doe@example.com'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['a@b.io', 'a@b.io'],
    ['x_y-z!#$%&*/=?^`{|}~@example.org', 'x_y-z!#$%&*/=?^`{|}~@example.org'],
    ['user@my-domain.example', 'user@my-domain.example'],
    ['user@xn--mller-kva.de', 'user@xn--mller-kva.de'],
    ['user@müller.de', 'user@xn--mller-kva.de'],
    ['user@example.xn--p1ai', 'user@example.xn--p1ai'],
    ['1234567890@123.example.com', '1234567890@123.example.com'],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
    [`u@${'a'.repeat(63)}.com`, `u@${'a'.repeat(63)}.com`],
  ];
  it.each(valid)('accepts %j as %j', (input, normalised) => {
    expect(validateEmail(input)).toEqual({ ok: true, email: normalised });
    expect(isValidEmail(input)).toBe(true);
  });

  const invalid: Array<[unknown, EmailInvalidReason]> = [
    ['', 'empty'],
    ['   ', 'empty'],
    [undefined, 'empty'],
    [42, 'empty'],
    ['jane doe@example.com', 'whitespace'],
    ['jane@exa mple.com', 'whitespace'],
    ['jane@example.com\r\nBcc: victim@example.org', 'control_char'],
    ['jane\u0000@example.com', 'control_char'],
    ['jane@exa\u2028mple.com', 'control_char'],
    ['jane.example.com', 'missing_at'],
    ['jane@doe@example.com', 'multiple_at'],
    ['@example.com', 'local_empty'],
    [`${'a'.repeat(65)}@example.com`, 'local_too_long'],
    ['.jane@example.com', 'local_dot_position'],
    ['jane.@example.com', 'local_dot_position'],
    ['ja..ne@example.com', 'consecutive_dots'],
    ['"jane"@example.com', 'local_invalid_char'],
    ['ja(ne)@example.com', 'local_invalid_char'],
    ['jäne@example.com', 'local_invalid_char'],
    ['jane<x>@example.com', 'local_invalid_char'],
    ['jane@', 'domain_empty'],
    ['jane@[127.0.0.1]', 'domain_literal'],
    [`jane@${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(61)}.com`, 'too_long'],
    ['jane@example..com', 'consecutive_dots'],
    ['jane@.example.com', 'label_empty'],
    ['jane@example.com.', 'label_empty'],
    [`jane@${'a'.repeat(64)}.com`, 'label_too_long'],
    ['jane@exa_mple.com', 'label_invalid_char'],
    ['jane@-example.com', 'label_hyphen_position'],
    ['jane@example-.com', 'label_hyphen_position'],
    ['jane@localhost', 'missing_tld'],
    ['jane@example.c', 'tld_invalid'],
    ['jane@example.123', 'tld_invalid'],
    ['jane@192.168.0.1', 'tld_invalid'],
  ];
  it.each(invalid)('rejects %j with %s', (input, reason) => {
    expect(validateEmail(input)).toEqual({ ok: false, reason });
    expect(isValidEmail(input)).toBe(false);
  });

  it('never throws and valid results are fixed points (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.emailAddress(), fc.string({ unit: 'binary' })), (s) => {
        const r = validateEmail(s);
        if (r.ok) {
          expect(validateEmail(r.email)).toEqual(r);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
          expect(r.email).not.toMatch(/[\s\u0000-\u001f]/);
          expect(r.email.length).toBeLessThanOrEqual(254);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('accepts addresses from the generator that fit the practical subset (property)', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (addr) => {
        const [local, domain] = [addr.slice(0, addr.lastIndexOf('@')), addr.slice(addr.lastIndexOf('@') + 1)];
        fc.pre(local.length <= 64 && addr.length <= 254 && /^[a-z]{2,}$/.test(domain.split('.').pop()!));
        expect(validateEmail(addr)).toEqual({
          ok: true,
          email: addr.replace(/@.*$/, `@${domain.toLowerCase()}`),
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('normalizeEmail', () => {
  it('trims and lower-cases only the domain', () => {
    expect(normalizeEmail('  John.SMITH@Example.COM\t')).toBe('John.SMITH@example.com');
  });
  it('converts an IDN domain to punycode', () => {
    expect(normalizeEmail('a@BÜCHER.example')).toBe('a@xn--bcher-kva.example');
  });
  it('only trims input without @', () => {
    expect(normalizeEmail(' NoAt ')).toBe('NoAt');
  });
  it('is idempotent (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(normalizeEmail(normalizeEmail(s))).toBe(normalizeEmail(s));
      }),
    );
  });
});

describe('maskEmail', () => {
  it.each([
    ['jane.doe@example.com', 'j***@e***.com'],
    ['J@Example.CO.UK', 'J***@e***.uk'],
    ['x@y.io', 'x***@y***.io'],
    ['"weird"@example.com', '***@e***.com'],
  ])('masks %s as %s', (input, masked) => {
    expect(maskEmail(input)).toBe(masked);
  });

  it.each(['', 'no-at-sign', '@example.com', 'jane@', undefined, null, 12])(
    'masks garbage %j as ***',
    (x) => {
      expect(maskEmail(x)).toBe('***');
    },
  );

  it('never reveals more than two characters of the address (property)', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (addr) => {
        const masked = maskEmail(addr);
        const local = addr.slice(0, addr.lastIndexOf('@'));
        expect(masked).toMatch(/^[A-Za-z0-9]?\*\*\*@[a-z0-9]?\*\*\*(\.[a-z0-9-]+)?$/);
        if (local.length > 1) expect(masked).not.toContain(local);
      }),
      { numRuns: 200 },
    );
  });

  it('does not pass control characters or markup through', () => {
    expect(maskEmail('\n<script>@evil.com')).toBe('***@e***.com');
  });
});

describe('hashEmail', () => {
  it('is a stable hex prefix of the requested length', () => {
    const h = hashEmail('jane@example.com', 'salt');
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(hashEmail('jane@example.com', 'salt')).toBe(h);
    expect(hashEmail('jane@example.com', 'salt', 64)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEmail('jane@example.com', 'salt', 64).startsWith(h)).toBe(true);
  });

  it('matches HMAC-SHA256 of the lower-cased normalised address', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', 'pepper').update('jane@example.com').digest('hex').slice(0, 16);
    expect(hashEmail(' Jane@EXAMPLE.com ', 'pepper')).toBe(expected);
  });

  it('depends on the salt and the address', () => {
    expect(hashEmail('jane@example.com', 'a')).not.toBe(hashEmail('jane@example.com', 'b'));
    expect(hashEmail('jane@example.com', 'a')).not.toBe(hashEmail('john@example.com', 'a'));
    expect(hashEmail('jane@example.com', Buffer.from('a'))).toBe(hashEmail('jane@example.com', 'a'));
  });

  it('rejects an empty salt and odd lengths', () => {
    expect(() => hashEmail('jane@example.com', '')).toThrow(/salt/);
    expect(() => hashEmail('jane@example.com', 's', 4)).toThrow(/hexLength/);
    expect(() => hashEmail('jane@example.com', 's', 65)).toThrow(/hexLength/);
  });
});

describe('redactEmails', () => {
  it('masks every address quoted in a service message and leaves the rest', () => {
    expect(
      redactEmails(
        'MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: jane.doe@example.com, <Bob@Shop.Example.org>.',
      ),
    ).toBe(
      'MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: j***@e***.com, <B***@s***.org>.',
    );
    expect(redactEmails('to jane@example.com.')).toBe('to j***@e***.com.');
    expect(redactEmails('throttled: TooManyRequestsException: Maximum sending rate exceeded.')).toBe(
      'throttled: TooManyRequestsException: Maximum sending rate exceeded.',
    );
  });
});
