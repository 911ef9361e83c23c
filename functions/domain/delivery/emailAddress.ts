/**
 * Email addresses: pragmatic syntactic validation, normalisation, and log-safe forms.
 *
 * Validation accepts the practical subset of RFC 5321/5322 that real mailbox providers hand out and that
 * SES sends to: an unquoted dot-atom local part of printable ASCII (≤ 64 octets), `@`, and a DNS domain
 * name (≤ 253 octets, labels of 1..63 letters/digits/hyphens, no leading or trailing hyphen) with a
 * top-level domain that is alphabetic (or an IDNA `xn--` label). Quoted local parts, comments, IP-literal
 * domains and non-ASCII local parts are rejected on purpose: they are legal but almost never legitimate in
 * a marketing list, and SES does not support SMTPUTF8 local parts. Internationalised domain names are
 * converted to their ASCII (punycode) form during normalisation.
 *
 * Validation is not deliverability: only SES bounce events tell whether a mailbox exists.
 */
import { createHmac } from 'node:crypto';
import { domainToASCII } from 'node:url';

export type EmailInvalidReason =
  | 'empty'
  | 'too_long'
  | 'whitespace'
  | 'control_char'
  | 'missing_at'
  | 'multiple_at'
  | 'local_empty'
  | 'local_too_long'
  | 'local_invalid_char'
  | 'local_dot_position'
  | 'consecutive_dots'
  | 'domain_empty'
  | 'domain_literal'
  | 'domain_too_long'
  | 'domain_invalid'
  | 'label_empty'
  | 'label_too_long'
  | 'label_invalid_char'
  | 'label_hyphen_position'
  | 'missing_tld'
  | 'tld_invalid';

export type EmailValidationResult = { ok: true; email: string } | { ok: false; reason: EmailInvalidReason };

const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;
const ATEXT_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL_RE = /^[a-z0-9-]+$/;
const TLD_RE = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to detect control characters
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const WHITESPACE_RE = /\s/;

/**
 * Trims surrounding whitespace and lower-cases the domain (converting an IDN to punycode).
 * The local part keeps its case (RFC 5321 leaves it to the receiving host). Input without exactly
 * one usable `@` is only trimmed.
 */
export function normalizeEmail(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  const local = trimmed.slice(0, at);
  const rawDomain = trimmed.slice(at + 1);
  const lowered = rawDomain.toLowerCase();
  // domainToASCII returns '' for invalid input; keep the lower-cased text then, validation reports it.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
  const ascii = /^[\x00-\x7f]*$/.test(lowered) ? lowered : domainToASCII(lowered) || lowered;
  return `${local}@${ascii}`;
}

/** Validates (after normalisation) and returns the normalised address, or the first reason it is invalid. */
export function validateEmail(address: unknown): EmailValidationResult {
  if (typeof address !== 'string') return { ok: false, reason: 'empty' };
  const trimmed = address.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'empty' };
  if (CONTROL_RE.test(trimmed)) return { ok: false, reason: 'control_char' };
  if (WHITESPACE_RE.test(trimmed)) return { ok: false, reason: 'whitespace' };
  const atCount = trimmed.split('@').length - 1;
  if (atCount === 0) return { ok: false, reason: 'missing_at' };
  if (atCount > 1) return { ok: false, reason: 'multiple_at' };
  const email = normalizeEmail(trimmed);
  if (Buffer.byteLength(email, 'utf8') > MAX_ADDRESS) return { ok: false, reason: 'too_long' };
  const at = email.indexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);

  if (local.length === 0) return { ok: false, reason: 'local_empty' };
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL) return { ok: false, reason: 'local_too_long' };
  if (local.startsWith('.') || local.endsWith('.')) return { ok: false, reason: 'local_dot_position' };
  if (local.includes('..')) return { ok: false, reason: 'consecutive_dots' };
  if (!local.split('.').every((atom) => ATEXT_RE.test(atom)))
    return { ok: false, reason: 'local_invalid_char' };

  if (domain.length === 0) return { ok: false, reason: 'domain_empty' };
  if (domain.startsWith('[')) return { ok: false, reason: 'domain_literal' };
  if (domain.length > MAX_DOMAIN) return { ok: false, reason: 'domain_too_long' };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
  if (!/^[\x00-\x7f]+$/.test(domain)) return { ok: false, reason: 'domain_invalid' };
  if (domain.includes('..')) return { ok: false, reason: 'consecutive_dots' };
  const labels = domain.split('.');
  for (const label of labels) {
    if (label.length === 0) return { ok: false, reason: 'label_empty' };
    if (label.length > MAX_LABEL) return { ok: false, reason: 'label_too_long' };
    if (!LABEL_RE.test(label)) return { ok: false, reason: 'label_invalid_char' };
    if (label.startsWith('-') || label.endsWith('-')) return { ok: false, reason: 'label_hyphen_position' };
  }
  if (labels.length < 2) return { ok: false, reason: 'missing_tld' };
  if (!TLD_RE.test(labels[labels.length - 1]!)) return { ok: false, reason: 'tld_invalid' };
  return { ok: true, email };
}

export function isValidEmail(address: unknown): boolean {
  return validateEmail(address).ok;
}

/**
 * A log-safe rendering: first character of the local part and of the domain's first label, the rest
 * starred, the top-level domain kept, e.g. `jane.doe@example.com` → `j***@e***.com`. Anything that is not
 * a plausible address becomes `***` so nothing of it leaks.
 */
export function maskEmail(address: unknown): string {
  if (typeof address !== 'string') return '***';
  const email = normalizeEmail(address);
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return '***';
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  const tld = labels.length >= 2 ? labels[labels.length - 1]! : '';
  const first = labels[0] ?? '';
  // Only plain alphanumerics are revealed: anything exotic could be a control character or markup.
  const safe = (ch: string | undefined) => (ch !== undefined && /^[A-Za-z0-9]$/.test(ch) ? ch : '');
  const tldPart = /^[a-z0-9-]{1,63}$/.test(tld) ? `.${tld}` : '';
  return `${safe(Array.from(local)[0])}***@${safe(Array.from(first)[0])}***${tldPart}`;
}

/**
 * `text` with every address-like word masked (`maskEmail`): for error messages from services that
 * quote the recipient (SES: "... failed the check in region EU-WEST-1: jane@example.com"), before
 * they are stored or logged.
 */
export function redactEmails(text: string): string {
  return text.replace(/[^\s<>()[\]{},;:"'`@]+@[^\s<>()[\]{},;:"'`@]+/g, (m) => {
    // A sentence's full stop after the address is kept, not masked.
    const dots = /\.+$/.exec(m)?.[0] ?? '';
    return `${maskEmail(m.slice(0, m.length - dots.length))}${dots}`;
  });
}

/**
 * A stable pseudonymous id for an address, for logs and metrics: the first `hexLength` hex characters of
 * HMAC-SHA256(salt, lower-cased normalised address). Keyed with a secret salt so it cannot be reversed
 * with a dictionary of known addresses. Lower-casing the whole address makes `Jane@X.com` and
 * `jane@x.com` hash alike (mailbox providers treat local parts case-insensitively in practice).
 */
export function hashEmail(address: string, salt: string | Buffer, hexLength = 16): string {
  if ((typeof salt === 'string' ? salt.length : salt.byteLength) === 0) {
    throw new Error('hashEmail needs a non-empty salt');
  }
  if (!Number.isInteger(hexLength) || hexLength < 8 || hexLength > 64) {
    throw new Error('hashEmail hexLength must be an integer in 8..64');
  }
  return createHmac('sha256', salt)
    .update(normalizeEmail(address).toLowerCase(), 'utf8')
    .digest('hex')
    .slice(0, hexLength);
}
