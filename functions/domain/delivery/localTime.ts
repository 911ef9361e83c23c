// Wall-clock arithmetic in IANA time zones with nothing but Intl: the UTC offset at an instant, and
// the instant(s) at which a zone's clock reads a given local date and time. Daylight saving makes
// that zero instants (the skipped hour of a 23-hour day) or two (the repeated hour of a 25-hour day).
import type { IsoDate } from '../types.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function offsetFormat(zone: string): Intl.DateTimeFormat {
  let format = offsetFormats.get(zone);
  if (!format) {
    // Throws a RangeError for an unknown zone, which callers report with their own context.
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, format);
  }
  return format;
}

export function isTimeZone(zone: string): boolean {
  try {
    offsetFormat(zone);
    return true;
  } catch {
    return false;
  }
}

/** Minutes east of UTC that `zone`'s clock shows at `instantMs` (Europe/Berlin in July: 120). */
export function utcOffsetMinutes(zone: string, instantMs: number): number {
  const name = offsetFormat(zone)
    .formatToParts(instantMs)
    .find((p) => p.type === 'timeZoneName')?.value;
  // "GMT" for UTC itself, otherwise "GMT+05:30" / "GMT-03:00".
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name ?? '');
  if (!match) throw new Error(`unexpected offset "${name}" for time zone ${zone}`);
  if (match[1] === undefined) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** `+05:30`, `-03:00`, `+00:00`. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The local date and minute of the day that `zone`'s clock shows at `instantMs`. */
export function wallClock(zone: string, instantMs: number): { date: IsoDate; minuteOfDay: number } {
  const local = new Date(instantMs + utcOffsetMinutes(zone, instantMs) * MINUTE_MS);
  return {
    date: local.toISOString().slice(0, 10),
    minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

/**
 * Where `zone`'s clock reads `date` at `minuteOfDay`:
 * - `instants`: the matching UTC instants, earliest first: one on a normal day, two inside a
 *   repeated hour, none inside a skipped hour;
 * - `resumesAt` (only when there is none): the first instant after the skipped span, the moment the
 *   clock jumps past the wanted time.
 * Assumes at most one offset change within a day on either side, as in every IANA zone.
 */
export function instantsOfLocalTime(
  zone: string,
  date: IsoDate,
  minuteOfDay: number,
): { instants: number[]; resumesAt?: number } {
  const asIfUtc = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * MINUTE_MS;
  const before = utcOffsetMinutes(zone, asIfUtc - DAY_MS);
  const after = utcOffsetMinutes(zone, asIfUtc + DAY_MS);
  const instants = [...new Set([before, after])]
    .map((offset) => asIfUtc - offset * MINUTE_MS)
    .filter((t) => utcOffsetMinutes(zone, t) * MINUTE_MS === asIfUtc - t)
    .sort((a, b) => a - b);
  if (instants.length > 0) return { instants };
  // A skipped span: with the old offset the time lies after the change, with the new one before it.
  return {
    instants,
    resumesAt: offsetChangeBetween(zone, asIfUtc - after * MINUTE_MS, asIfUtc - before * MINUTE_MS),
  };
}

/** The first instant (to the minute) in (from, to] whose offset differs from the offset at `from`. */
export function offsetChangeBetween(zone: string, from: number, to: number): number {
  const start = utcOffsetMinutes(zone, from);
  let lo = from;
  let hi = to;
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (utcOffsetMinutes(zone, mid) === start) lo = mid;
    else hi = mid;
  }
  return hi;
}
