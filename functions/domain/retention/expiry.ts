import { epochDay } from '../night/dates.js';
import type { IsoDate } from '../types.js';

// Retention periods as DynamoDB TTL values (epoch seconds in `expiresAt`). TTL deletion on AWS is
// lazy (typically within days) and the local store has none, so readers also check expiry in code,
// with `isExpired`, wherever an expired item would change an answer.

export const DAY_SECONDS = 86_400;

/** The end of the retention period of something dated `date`, as epoch seconds. */
export function expiryOfDate(date: IsoDate, retentionDays: number): number {
  return (epochDay(date) + retentionDays) * DAY_SECONDS;
}

/** The end of the retention period of something written at `now`. */
export function expiryFrom(now: Date, retentionDays: number): number {
  return Math.floor(now.getTime() / 1000) + retentionDays * DAY_SECONDS;
}

/** True when the item carries an expiry that has passed; items without one never expire. */
export function isExpired(item: { expiresAt?: unknown } | undefined, now: Date): boolean {
  const at = item?.expiresAt;
  return typeof at === 'number' && at <= Math.floor(now.getTime() / 1000);
}
