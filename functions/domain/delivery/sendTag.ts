/**
 * A tag-safe, reversible encoding of a send-ledger key for the SES `sendId` message tag.
 *
 * SES message tag values allow only ASCII letters, digits, `_`, `-`, `.` and `@` (at most 256
 * characters), while ledger keys look like `2026-11-20#winback-30#C000123` and may hold any
 * character. Every byte of the UTF-8 text outside `[A-Za-z0-9_@-]` (including `.` itself) becomes
 * `.` followed by two upper-case hex digits, so `#` reads `.23`:
 * `2026-11-20.23winback-30.23C000123`. Decoding reverses it exactly; anything that is not a valid
 * encoding decodes to `undefined` (never a wrong key).
 */

export const SES_TAG_VALUE_MAX = 256;

const PLAIN = /[A-Za-z0-9_@-]/;
const NOT_PLAIN = /[^A-Za-z0-9_@-]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: any ASCII character, controls included
const ASCII_KEY = /^[\u0000-\u007f]*$/;

/** The tag value for a send key, or `undefined` when the encoding would exceed the SES limit. */
export function encodeSendTag(sendKey: string): string | undefined {
  if (ASCII_KEY.test(sendKey)) {
    // One escape per character here (every byte is one ASCII character): the usual case, done in one pass.
    const out = sendKey.replace(
      NOT_PLAIN,
      (ch) => `.${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    );
    return out.length > 0 && out.length <= SES_TAG_VALUE_MAX ? out : undefined;
  }
  let out = '';
  for (const byte of Buffer.from(sendKey, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PLAIN.test(ch) ? ch : `.${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (out.length > SES_TAG_VALUE_MAX) return undefined;
  }
  return out.length > 0 ? out : undefined;
}

/** The send key a `sendId` tag value encodes, or `undefined` when it is not a valid encoding. */
export function decodeSendTag(value: string): string | undefined {
  if (value.length === 0 || value.length > SES_TAG_VALUE_MAX) return undefined;
  if (!/^(?:[A-Za-z0-9_@-]|\.[0-9A-F]{2})+$/.test(value)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    if (value[i] === '.') {
      const byte = Number.parseInt(value.slice(i + 1, i + 3), 16);
      // A plain character must not be escaped: one key, one encoding.
      if (byte < 0x80 && PLAIN.test(String.fromCharCode(byte))) return undefined;
      bytes.push(byte);
      i += 3;
    } else {
      bytes.push(value.charCodeAt(i));
      i += 1;
    }
  }
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return text.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
