/**
 * Unsubscribe tokens: unforgeable, non-enumerable, compact enough for a URL.
 *
 * Format (three dot-separated segments, all URL-safe):
 *
 *   base64url(payload JSON) "." kid "." base64url(HMAC-SHA256)
 *
 * - payload JSON is canonical: keys in fixed order `c` (customerId), `k` (campaignId, optional),
 *   `s` (sendId, optional), `d` (issue day as whole days since 1970-01-01 UTC).
 * - kid names the key in the key ring that produced the MAC.
 * - The MAC covers the domain separator `retention-unsub-v1`, the kid and the payload segment *as sent*
 *   (its ASCII text, not its decoded bytes), so changing any character of the token, including padding
 *   bits of the base64url text or the kid, invalidates it. The MAC segment is compared as text in
 *   constant time, which rules out alternative encodings of the same MAC.
 *
 * Key rotation: new tokens are signed with `ring.activeKeyId`; verification accepts any key still in the
 * ring; removing a key from the ring invalidates every token it signed.
 *
 * Pure module: Node's crypto only, no AWS SDK.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

export interface UnsubscribeKeyRing {
  activeKeyId: string;
  /** keyId → secret: raw bytes, or a base64 (or base64url) string. At least 16 bytes. */
  keys: Record<string, Buffer | string>;
}

export interface UnsubscribeTokenPayload {
  customerId: string;
  campaignId?: string | undefined;
  sendId?: string | undefined;
  /** Day the token was issued, `YYYY-MM-DD` (UTC). */
  issuedAt: string;
}

export type VerifyUnsubscribeTokenResult =
  | { ok: true; payload: UnsubscribeTokenPayload; keyId: string }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'bad_signature' };

/** Query parameter that carries the token in unsubscribe URLs. */
export const UNSUBSCRIBE_TOKEN_PARAM = 'token';

const DOMAIN = 'retention-unsub-v1';
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;
/** 32 MAC bytes → 43 base64url characters without padding. */
const MAC_RE = /^[A-Za-z0-9_-]{43}$/;
const MIN_KEY_BYTES = 16;
const MAX_ID_LENGTH = 128;
const MAX_PAYLOAD_SEGMENT = 1024;
const MAX_TOKEN_LENGTH = MAX_PAYLOAD_SEGMENT + 1 + 32 + 1 + 43;
const DAY_MS = 86_400_000;
const ISO_DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export class InvalidKeyRingError extends Error {
  override name = 'InvalidKeyRingError';
}

export class InvalidUnsubscribePayloadError extends Error {
  override name = 'InvalidUnsubscribePayloadError';
}

/** Decodes a secret; returns undefined when it is not usable (too short, not base64). */
function keyBytes(secret: Buffer | string | undefined): Buffer | undefined {
  if (secret === undefined) return undefined;
  let bytes: Buffer;
  if (Buffer.isBuffer(secret)) {
    bytes = secret;
  } else if (typeof secret === 'string' && /^[A-Za-z0-9+/_-]+={0,2}$/.test(secret)) {
    bytes = Buffer.from(secret.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  } else {
    return undefined;
  }
  return bytes.length >= MIN_KEY_BYTES ? bytes : undefined;
}

/**
 * Secrets given as text, decoded once into key objects: a send signs one token per email and
 * decoding plus importing the key each time costs more than the HMAC itself. Bounded, since rings
 * hold a handful of keys (tests make many).
 */
const textKeys = new Map<string, KeyObject | null>();
const TEXT_KEYS_MAX = 64;

function secretKey(secret: Buffer | string | undefined): KeyObject | undefined {
  if (typeof secret !== 'string') {
    const bytes = keyBytes(secret);
    return bytes ? createSecretKey(bytes) : undefined;
  }
  let key = textKeys.get(secret);
  if (key === undefined) {
    const bytes = keyBytes(secret);
    key = bytes ? createSecretKey(bytes) : null;
    if (textKeys.size >= TEXT_KEYS_MAX) textKeys.clear();
    textKeys.set(secret, key);
  }
  return key ?? undefined;
}

/** Throws InvalidKeyRingError when the ring cannot sign (bad ids, short or undecodable secrets). */
export function assertValidKeyRing(ring: UnsubscribeKeyRing): void {
  const ids = Object.keys(ring.keys);
  if (ids.length === 0) throw new InvalidKeyRingError('key ring is empty');
  for (const id of ids) {
    if (!KEY_ID_RE.test(id)) throw new InvalidKeyRingError(`key id must match ${KEY_ID_RE}: ${id}`);
    if (!secretKey(ring.keys[id])) {
      throw new InvalidKeyRingError(`key ${id} must be at least ${MIN_KEY_BYTES} bytes (Buffer or base64)`);
    }
  }
  if (!Object.hasOwn(ring.keys, ring.activeKeyId)) {
    throw new InvalidKeyRingError(`active key ${ring.activeKeyId} is not in the ring`);
  }
}

function macText(key: KeyObject, kid: string, payloadSegment: string): string {
  return createHmac('sha256', key).update(`${DOMAIN}.${kid}.${payloadSegment}`).digest('base64url');
}

/** The last day converted: a send stage signs every token of a run with the same issue day. */
let lastDay: { day: string; epochDay: number | undefined } | undefined;

/** Whole days since the epoch for a valid `YYYY-MM-DD`, else undefined. */
export function isoDayToEpochDay(day: string): number | undefined {
  if (lastDay?.day === day) return lastDay.epochDay;
  const epochDay = parseIsoDay(day);
  lastDay = { day, epochDay };
  return epochDay;
}

function parseIsoDay(day: string): number | undefined {
  const m = ISO_DAY_RE.exec(day);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (!Number.isFinite(ms)) return undefined;
  const epochDay = ms / DAY_MS;
  return epochDayToIsoDay(epochDay) === day ? epochDay : undefined;
}

export function epochDayToIsoDay(epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
}

function validId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function encodePayload(payload: UnsubscribeTokenPayload): string {
  if (!validId(payload.customerId)) {
    throw new InvalidUnsubscribePayloadError(`customerId must be 1..${MAX_ID_LENGTH} characters`);
  }
  if (payload.campaignId !== undefined && !validId(payload.campaignId)) {
    throw new InvalidUnsubscribePayloadError(`campaignId must be 1..${MAX_ID_LENGTH} characters`);
  }
  if (payload.sendId !== undefined && !validId(payload.sendId)) {
    throw new InvalidUnsubscribePayloadError(`sendId must be 1..${MAX_ID_LENGTH} characters`);
  }
  const d = isoDayToEpochDay(payload.issuedAt);
  if (d === undefined || d < 0) {
    throw new InvalidUnsubscribePayloadError(`issuedAt must be a YYYY-MM-DD date: ${payload.issuedAt}`);
  }
  // Fixed key order: the encoding is canonical.
  const compact: Record<string, string | number> = { c: payload.customerId };
  if (payload.campaignId !== undefined) compact['k'] = payload.campaignId;
  if (payload.sendId !== undefined) compact['s'] = payload.sendId;
  compact['d'] = d;
  return Buffer.from(JSON.stringify(compact), 'utf8').toString('base64url');
}

function decodePayload(segment: string): UnsubscribeTokenPayload | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['c', 'k', 's', 'd'].includes(k)) return undefined;
  const d = o['d'];
  if (!validId(o['c'])) return undefined;
  if (o['k'] !== undefined && !validId(o['k'])) return undefined;
  if (o['s'] !== undefined && !validId(o['s'])) return undefined;
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0 || d > 2_932_896) return undefined;
  const payload: UnsubscribeTokenPayload = { customerId: o['c'], issuedAt: epochDayToIsoDay(d) };
  if (typeof o['k'] === 'string') payload.campaignId = o['k'];
  if (typeof o['s'] === 'string') payload.sendId = o['s'];
  return payload;
}

/**
 * Rings already checked, with what was checked: a send signs one token per email with the same ring.
 * A ring whose active key, or whose keys object, was changed since is checked again.
 */
interface CheckedRing {
  activeKeyId: string;
  keys: object;
  secret: Buffer | string | undefined;
  key: KeyObject;
}
const checkedRings = new WeakMap<UnsubscribeKeyRing, CheckedRing>();

function activeKey(ring: UnsubscribeKeyRing): KeyObject {
  const checked = checkedRings.get(ring);
  const secret = ring.keys[ring.activeKeyId];
  if (
    checked &&
    checked.activeKeyId === ring.activeKeyId &&
    checked.keys === ring.keys &&
    checked.secret === secret
  ) {
    return checked.key;
  }
  assertValidKeyRing(ring);
  const key = secretKey(secret)!;
  checkedRings.set(ring, { activeKeyId: ring.activeKeyId, keys: ring.keys, secret, key });
  return key;
}

/** Signs `payload` with the ring's active key. Throws on an invalid ring or payload (configuration errors). */
export function signUnsubscribeToken(ring: UnsubscribeKeyRing, payload: UnsubscribeTokenPayload): string {
  const key = activeKey(ring);
  const segment = encodePayload(payload);
  return `${segment}.${ring.activeKeyId}.${macText(key, ring.activeKeyId, segment)}`;
}

/** Verifies a token. Never throws, whatever `token` is. */
export function verifyUnsubscribeToken(
  ring: UnsubscribeKeyRing,
  token: unknown,
): VerifyUnsubscribeTokenResult {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: 'malformed' };
  }
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [segment, kid, mac] = parts as [string, string, string];
  if (segment.length > MAX_PAYLOAD_SEGMENT || !B64URL_RE.test(segment))
    return { ok: false, reason: 'malformed' };
  if (!KEY_ID_RE.test(kid) || !MAC_RE.test(mac)) return { ok: false, reason: 'malformed' };
  const key = Object.hasOwn(ring.keys, kid) ? secretKey(ring.keys[kid]) : undefined;
  if (!key) return { ok: false, reason: 'unknown_key' };
  const expected = Buffer.from(macText(key, kid, segment), 'ascii');
  const given = Buffer.from(mac, 'ascii');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad_signature' };
  }
  // Authentic, so the payload is ours; still decode defensively.
  const payload = decodePayload(segment);
  if (!payload) return { ok: false, reason: 'malformed' };
  return { ok: true, payload, keyId: kid };
}

/**
 * The unsubscribe URL for a token: `baseUrl` with `?token=<token>` set (other query parameters kept).
 * Throws when `baseUrl` is not an absolute http(s) URL.
 */
export function unsubscribeUrl(baseUrl: string, token: string): string {
  // A token is URL-safe as it is (base64url, key id, dots), so the base is parsed once per base URL
  // and each token appended to it: one URL parse per email showed in the send stage's profile.
  if (TOKEN_TEXT_RE.test(token)) return `${urlPrefix(baseUrl)}${token}`;
  const url = parseBaseUrl(baseUrl);
  url.searchParams.delete(UNSUBSCRIBE_TOKEN_PARAM);
  url.searchParams.append(UNSUBSCRIBE_TOKEN_PARAM, token);
  return url.toString();
}

const TOKEN_TEXT_RE = /^[A-Za-z0-9_.-]+$/;
let lastPrefix: { baseUrl: string; prefix: string } | undefined;

/** `baseUrl` without fragment or token parameter, ending in `token=`. */
function urlPrefix(baseUrl: string): string {
  if (lastPrefix?.baseUrl === baseUrl) return lastPrefix.prefix;
  const url = parseBaseUrl(baseUrl);
  url.searchParams.delete(UNSUBSCRIBE_TOKEN_PARAM);
  url.searchParams.append(UNSUBSCRIBE_TOKEN_PARAM, '');
  const prefix = url.toString();
  lastPrefix = { baseUrl, prefix };
  return prefix;
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`unsubscribe base URL is not a valid absolute URL: ${baseUrl}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`unsubscribe base URL must be http(s): ${baseUrl}`);
  }
  url.hash = '';
  return url;
}
