// UTC calendar-date helpers on ISO dates (YYYY-MM-DD). Day numbers are days since 1970-01-01.
import type { IsoDate } from '../types.js';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number of an ISO date; NaN when the string is not a valid calendar date. */
export function dayNumber(date: IsoDate): number {
  const m = ISO_RE.exec(date);
  if (!m) return Number.NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return Number.NaN;
  return ms / 86_400_000;
}

/** Day number, throwing on an invalid date. */
export function toDay(date: IsoDate, what = 'date'): number {
  const n = dayNumber(date);
  if (Number.isNaN(n)) throw new Error(`invalid ${what}: ${JSON.stringify(date)} (expected YYYY-MM-DD)`);
  return n;
}

export function fromDay(day: number): IsoDate {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Day number of month/day in `year`; Feb 29 falls on Feb 28 in non-leap years. */
export function anniversaryDay(year: number, month: number, day: number): number {
  const d = month === 2 && day === 29 && !isLeapYear(year) ? 28 : day;
  return Date.UTC(year, month - 1, d) / 86_400_000;
}
