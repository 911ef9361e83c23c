/**
 * Scheduled rotation of the unsubscribe HMAC key ring, as pure steps.
 *
 * The stored ring (Secrets Manager, or the local key file) is
 *
 *   {"activeKeyId": "k2", "k1": "<secret>", "k2": "<secret>", "k3": "<secret>",
 *    "rotation": {"next": "k3", "retired": {"k1": "2027-03-03"}}}
 *
 * Every string member but `activeKeyId` is a key; `rotation` is an object, so readers that only know
 * the flat ring (adapters/unsubscribeKeys.ts) skip it.
 *
 * One rotation:
 * 1. promotes the key published by the previous rotation (`next`) to active, and records the day the
 *    old active key stopped signing (`retired`);
 * 2. publishes a fresh key as `next`: it verifies at once but signs only from the following rotation,
 *    so every process that caches the ring (for minutes) knows a key before any link carries it;
 * 3. drops the keys that stopped signing more than `keepDays` ago: by then every link they signed is
 *    older than the longest link lifetime.
 * A ring without `next` (the first rotation, or a ring written by hand) only publishes one.
 *
 * Pure: no AWS, no clock, no randomness; the caller passes the day and the new secret.
 */
import {
  assertValidKeyRing,
  epochDayToIsoDay,
  isoDayToEpochDay,
  signUnsubscribeToken,
  type UnsubscribeKeyRing,
  verifyUnsubscribeToken,
} from './unsubscribeToken.js';

export interface RotatingKeyRing {
  activeKeyId: string;
  keys: Record<string, string>;
  /** Published by the last rotation: verifies now, signs after the next one. */
  next?: string | undefined;
  /** Key id → the day (`YYYY-MM-DD`, UTC) it stopped signing. */
  retired: Record<string, string>;
}

export interface RotationPolicy {
  /** The day of the rotation, `YYYY-MM-DD` (UTC). */
  today: string;
  /** Days a key keeps verifying after it stopped signing: the longest link lifetime. */
  keepDays: number;
}

export interface RotationResult {
  ring: RotatingKeyRing;
  /** The key id published as `next`. */
  published: string;
  /** The key that signs from now on, when it changed. */
  activated?: string | undefined;
  /** Keys removed from the ring (their links are older than `keepDays`). */
  dropped: string[];
}

export class KeyRingFormatError extends Error {
  override name = 'KeyRingFormatError';
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Reads a stored ring; throws KeyRingFormatError saying which member is wrong. */
export function parseRotatingKeyRing(text: string, where = 'key ring'): RotatingKeyRing {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new KeyRingFormatError(`${where}: not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new KeyRingFormatError(`${where}: must be a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o.activeKeyId !== 'string') throw new KeyRingFormatError(`${where}: activeKeyId: missing`);
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'activeKeyId' || k === 'rotation') continue;
    if (typeof v !== 'string') throw new KeyRingFormatError(`${where}: ${k}: a key must be a string`);
    keys[k] = v;
  }
  const rotation = (o.rotation ?? {}) as Record<string, unknown>;
  if (typeof rotation !== 'object' || rotation === null || Array.isArray(rotation)) {
    throw new KeyRingFormatError(`${where}: rotation: must be an object`);
  }
  const next = rotation.next;
  if (next !== undefined && (typeof next !== 'string' || !Object.hasOwn(keys, next))) {
    throw new KeyRingFormatError(`${where}: rotation.next: must name a key of the ring`);
  }
  const retired: Record<string, string> = {};
  const rawRetired = rotation.retired ?? {};
  if (typeof rawRetired !== 'object' || rawRetired === null || Array.isArray(rawRetired)) {
    throw new KeyRingFormatError(`${where}: rotation.retired: must be an object`);
  }
  for (const [k, v] of Object.entries(rawRetired as Record<string, unknown>)) {
    if (typeof v !== 'string' || !DAY_RE.test(v) || isoDayToEpochDay(v) === undefined) {
      throw new KeyRingFormatError(`${where}: rotation.retired.${k}: must be a YYYY-MM-DD day`);
    }
    // A retirement day of a key that is gone is history, not an error.
    if (Object.hasOwn(keys, k)) retired[k] = v;
  }
  const ring: RotatingKeyRing = { activeKeyId: o.activeKeyId, keys, next, retired };
  try {
    assertValidKeyRing(ring);
  } catch (error) {
    throw new KeyRingFormatError(`${where}: ${(error as Error).message}`);
  }
  return ring;
}

/** The stored form: flat keys (what every reader understands) plus the `rotation` object. */
export function serializeRotatingKeyRing(ring: RotatingKeyRing): string {
  const out: Record<string, unknown> = { activeKeyId: ring.activeKeyId };
  for (const id of Object.keys(ring.keys).sort(byKeyId)) out[id] = ring.keys[id];
  out.rotation = {
    ...(ring.next !== undefined ? { next: ring.next } : {}),
    retired: Object.fromEntries(Object.entries(ring.retired).sort(([a], [b]) => byKeyId(a, b))),
  };
  return JSON.stringify(out);
}

/** `k<n>` ids sort by number, others after them by name. */
function byKeyId(a: string, b: string): number {
  const na = /^k(\d+)$/.exec(a)?.[1];
  const nb = /^k(\d+)$/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined) return Number(na) - Number(nb);
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One more than the highest `k<n>` in the ring: an id is never handed out twice while a later one lives. */
export function nextKeyId(ring: Pick<RotatingKeyRing, 'keys'>): string {
  let max = 0;
  for (const id of Object.keys(ring.keys)) {
    const n = /^k(\d+)$/.exec(id)?.[1];
    if (n !== undefined) max = Math.max(max, Number(n));
  }
  return `k${max + 1}`;
}

function epochDay(day: string, what: string): number {
  const d = isoDayToEpochDay(day);
  if (d === undefined) throw new RangeError(`${what}: not a YYYY-MM-DD day: ${day}`);
  return d;
}

/** One scheduled rotation (see the module comment). `newSecret` becomes the published key. */
export function rotateKeyRing(
  current: RotatingKeyRing,
  policy: RotationPolicy,
  newSecret: string,
): RotationResult {
  if (!Number.isInteger(policy.keepDays) || policy.keepDays < 1) {
    throw new RangeError(`keepDays must be a whole number of days >= 1 (got ${policy.keepDays})`);
  }
  const today = epochDay(policy.today, 'today');
  const keys = { ...current.keys };
  const retired = { ...current.retired };
  let activeKeyId = current.activeKeyId;
  let activated: string | undefined;
  if (current.next !== undefined && current.next !== activeKeyId) {
    activated = current.next;
    retired[activeKeyId] ??= policy.today;
    activeKeyId = activated;
    delete retired[activated];
  }
  const published = nextKeyId({ keys });
  keys[published] = newSecret;
  // A key that neither signs nor waits to sign, with no retirement day (written by hand): it is
  // kept a whole lifetime from now, since nobody knows what it signed.
  for (const id of Object.keys(keys)) {
    if (id !== activeKeyId && id !== published && retired[id] === undefined) retired[id] = policy.today;
  }
  const dropped: string[] = [];
  for (const [id, day] of Object.entries(retired)) {
    if (id === activeKeyId || id === published) continue;
    // Links signed on the retirement day live keepDays after it; strictly later, none is left.
    if (today - epochDay(day, `retired.${id}`) > policy.keepDays) {
      delete keys[id];
      delete retired[id];
      dropped.push(id);
    }
  }
  return {
    ring: { activeKeyId, keys, next: published, retired },
    published,
    activated,
    dropped: dropped.sort(byKeyId),
  };
}

/**
 * What the rotation's test step checks before the new ring becomes current; empty when it may.
 * - it signs, and its tokens verify with it;
 * - it signs with a key that was already in the ring before (so every cached ring verifies it);
 * - no key that may still have live links was dropped or changed.
 */
export function rotationProblems(
  before: RotatingKeyRing,
  after: RotatingKeyRing,
  policy: RotationPolicy,
): string[] {
  const problems: string[] = [];
  try {
    const ring: UnsubscribeKeyRing = after;
    const token = signUnsubscribeToken(ring, { customerId: 'rotation-check', issuedAt: policy.today });
    const verified = verifyUnsubscribeToken(ring, token);
    if (!verified.ok || verified.keyId !== after.activeKeyId)
      problems.push('a token it signs does not verify');
  } catch (error) {
    problems.push(`it cannot sign: ${(error as Error).message}`);
  }
  if (!Object.hasOwn(before.keys, after.activeKeyId)) {
    problems.push(`its active key ${after.activeKeyId} was not published by an earlier rotation`);
  } else if (before.keys[after.activeKeyId] !== after.keys[after.activeKeyId]) {
    problems.push(`its active key ${after.activeKeyId} differs from the published one`);
  }
  const today = epochDay(policy.today, 'today');
  for (const [id, secret] of Object.entries(before.keys)) {
    if (Object.hasOwn(after.keys, id)) {
      if (after.keys[id] !== secret) problems.push(`key ${id} was changed`);
      continue;
    }
    const day = before.retired[id];
    const old = day !== undefined && today - epochDay(day, `retired.${id}`) > policy.keepDays;
    if (!old) problems.push(`key ${id} was dropped while links it signed may still be used`);
  }
  return problems;
}

/** The last day on which a link signed by `keyId` is still sure to verify, if the ring keeps rotating. */
export function lastVerifiableDay(
  ring: RotatingKeyRing,
  keyId: string,
  keepDays: number,
): string | undefined {
  const day = ring.retired[keyId];
  if (day === undefined) return undefined;
  return epochDayToIsoDay(epochDay(day, `retired.${keyId}`) + keepDays);
}
