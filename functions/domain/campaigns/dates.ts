// Calendar-date helpers for campaign rules and schedules. All dates are ISO `YYYY-MM-DD` in UTC.
import type { IsoDate } from '../types.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** True when `value` is a real calendar date written as `YYYY-MM-DD`. */
export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== 'string') return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

let lastDate = '';
let lastDay = 0;

/** Days since 1970-01-01 for an ISO date (memoised for the most recent argument: run dates repeat). */
export function epochDay(date: IsoDate): number {
  if (date === lastDate) return lastDay;
  const day = Math.floor(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
  lastDate = date;
  lastDay = day;
  return day;
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return epochDay(to) - epochDay(from);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return new Date((epochDay(date) + days) * MS_PER_DAY).toISOString().slice(0, 10);
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The UTC weekday of an ISO date. */
export function weekdayOf(date: IsoDate): Weekday {
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
}
