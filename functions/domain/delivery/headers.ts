/**
 * Safe email header values and the RFC 8058 one-click unsubscribe headers.
 *
 * Header injection: a customer's name or a campaign subject that carries CR/LF could end the header and
 * start a new one (`Bcc:`…) or the body. `safeHeaderValue` removes every control character, including
 * Unicode line/paragraph separators and NEL, so a value is always exactly one logical header line.
 *
 * Header objects use the SES v2 `MessageHeader` shape `{ Name, Value }`.
 */
import { validateEmail } from './emailAddress.js';

export interface MessageHeader {
  Name: string;
  Value: string;
}

/** SES v2 limit for a `MessageHeader.Value`. */
export const SES_MAX_HEADER_VALUE = 870;
/** RFC 5322 recommended line length (excluding CRLF) used by `foldHeader`. */
export const RECOMMENDED_LINE_LENGTH = 78;
const MAX_URL_LENGTH = 2048;

// C0 controls (incl. TAB, CR, LF), DEL, C1 controls (incl. NEL U+0085), line/paragraph separators,
// bidi overrides/isolates (they make a displayed value read differently from what it is), BOM.
const UNSAFE_CHARS_RE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to remove control characters
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export interface SafeHeaderValueOptions {
  /** Maximum length in characters (code points) of the result; default `SES_MAX_HEADER_VALUE`. */
  maxLength?: number;
  /** Appended when the value is cut; default `…`. */
  ellipsis?: string;
}

/**
 * One clean header line: control characters become spaces, whitespace runs collapse to one space, the
 * ends are trimmed, and the value is cut (on a code point boundary) to `maxLength` characters.
 */
export function safeHeaderValue(value: unknown, options: SafeHeaderValueOptions = {}): string {
  const maxLength = options.maxLength ?? SES_MAX_HEADER_VALUE;
  const ellipsis = options.ellipsis ?? '…';
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error('maxLength must be a positive integer');
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const cleaned = text.replace(UNSAFE_CHARS_RE, ' ').replace(/\s+/g, ' ').trim();
  const codePoints = Array.from(cleaned);
  if (codePoints.length <= maxLength) return cleaned;
  const cleanEllipsis = Array.from(ellipsis.replace(UNSAFE_CHARS_RE, '')).slice(0, maxLength);
  const keep = maxLength - cleanEllipsis.length;
  return codePoints.slice(0, keep).join('').trimEnd() + cleanEllipsis.join('');
}

/** RFC 5322 field name: printable US-ASCII except colon, 1..76 characters. */
export function isValidHeaderName(name: unknown): name is string {
  return typeof name === 'string' && /^[\x21-\x39\x3b-\x7e]{1,76}$/.test(name);
}

/** A `{ Name, Value }` header with a validated name and a sanitised value. Throws on an invalid name. */
export function safeHeader(name: string, value: unknown, options?: SafeHeaderValueOptions): MessageHeader {
  if (!isValidHeaderName(name)) throw new Error(`invalid header name: ${JSON.stringify(name)}`);
  return { Name: name, Value: safeHeaderValue(value, options) };
}

/**
 * Folds `Name: value` for raw MIME output: lines of at most `width` characters where possible, broken
 * at spaces, continuation lines starting with one space (RFC 5322 §2.2.3). The value is sanitised first,
 * so the only CRLFs in the result are the folds. A word longer than `width` stays on its own line.
 */
export function foldHeader(name: string, value: unknown, width = RECOMMENDED_LINE_LENGTH): string {
  if (!isValidHeaderName(name)) throw new Error(`invalid header name: ${JSON.stringify(name)}`);
  const words = safeHeaderValue(value).split(' ');
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    if (word === '') continue;
    if (line.length + 1 + word.length > width && line !== `${name}:`) {
      lines.push(line);
      line = ` ${word}`;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\r\n');
}

export class InvalidUnsubscribeTargetError extends Error {
  override name = 'InvalidUnsubscribeTargetError';
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Validates an unsubscribe URL for `List-Unsubscribe`: absolute https (http only for localhost /
 * 127.0.0.1 / ::1, for local runs), no credentials, no fragment, ≤ 2048 characters. Returns the
 * serialised URL with commas percent-encoded (a literal comma would split the header's URL list).
 */
export function validateUnsubscribeHttpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidUnsubscribeTargetError('unsubscribe URL is not an absolute URL');
  }
  if (url.protocol === 'http:') {
    if (!LOCAL_HOSTS.has(url.hostname)) {
      throw new InvalidUnsubscribeTargetError('unsubscribe URL must use https (http only for localhost)');
    }
  } else if (url.protocol !== 'https:') {
    throw new InvalidUnsubscribeTargetError('unsubscribe URL must use https');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidUnsubscribeTargetError('unsubscribe URL must not carry credentials');
  }
  if (url.hash !== '') throw new InvalidUnsubscribeTargetError('unsubscribe URL must not have a fragment');
  const serialised = url.toString().replace(/,/g, '%2C');
  if (serialised.length > MAX_URL_LENGTH) throw new InvalidUnsubscribeTargetError('unsubscribe URL too long');
  // The URL parser percent-encodes spaces, quotes and angle brackets; assert nothing unsafe survived.
  if (!/^[\x21-\x7e]+$/.test(serialised) || /[<>"]/.test(serialised)) {
    throw new InvalidUnsubscribeTargetError('unsubscribe URL contains unsafe characters');
  }
  return serialised;
}

/**
 * Validates a mailto target given as a bare address or a `mailto:` URI with an optional query
 * (e.g. `mailto:unsub@example.com?subject=unsubscribe`). Returns the `mailto:` URI.
 */
export function validateUnsubscribeMailto(raw: string): string {
  const body = raw.startsWith('mailto:') ? raw.slice('mailto:'.length) : raw;
  const q = body.indexOf('?');
  const address = q < 0 ? body : body.slice(0, q);
  const query = q < 0 ? '' : body.slice(q + 1);
  const checked = validateEmail(address);
  if (!checked.ok || address !== address.trim()) {
    throw new InvalidUnsubscribeTargetError(
      `unsubscribe mailto address is invalid${checked.ok ? '' : ` (${checked.reason})`}`,
    );
  }
  if (query !== '' && !/^[A-Za-z0-9%=&._~+-]+$/.test(query)) {
    throw new InvalidUnsubscribeTargetError('unsubscribe mailto query must be percent-encoded');
  }
  const uri = `mailto:${checked.email}${query === '' ? '' : `?${query}`}`;
  if (uri.length > MAX_URL_LENGTH) throw new InvalidUnsubscribeTargetError('unsubscribe mailto too long');
  return uri;
}

export interface ListUnsubscribeTargets {
  /** The one-click endpoint (it receives the RFC 8058 POST). */
  httpsUrl: string;
  /** Optional mailto fallback for clients without one-click support. */
  mailto?: string | undefined;
}

/**
 * The RFC 2369 + RFC 8058 headers Gmail and Yahoo require of bulk senders:
 *
 *   List-Unsubscribe: <https://…>, <mailto:…>
 *   List-Unsubscribe-Post: List-Unsubscribe=One-Click
 *
 * Throws InvalidUnsubscribeTargetError when a target is unacceptable (a configuration error: never send
 * a message with a broken unsubscribe).
 */
export function listUnsubscribeHeaders(targets: ListUnsubscribeTargets): [MessageHeader, MessageHeader] {
  const parts = [`<${validateUnsubscribeHttpUrl(targets.httpsUrl)}>`];
  if (targets.mailto !== undefined) parts.push(`<${validateUnsubscribeMailto(targets.mailto)}>`);
  const value = parts.join(', ');
  if (value.length > SES_MAX_HEADER_VALUE) {
    throw new InvalidUnsubscribeTargetError(
      `List-Unsubscribe value exceeds ${SES_MAX_HEADER_VALUE} characters`,
    );
  }
  return [
    { Name: 'List-Unsubscribe', Value: value },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
}
