// Local-time send windows: when a customer's window opens and closes in UTC, and whether a send
// group may still go out. Pure; the clock is always passed in (simulated locally, real on AWS).
import { addDays } from '../night/dates.js';
import type { IsoDate } from '../types.js';
import { instantsOfLocalTime, offsetChangeBetween, utcOffsetMinutes, wallClock } from './localTime.js';

export const LOCAL_TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** As written in a campaign file or the program default: local wall-clock times, `HH:MM`. */
export interface SendWindow {
  start: string;
  end: string;
}

/** One day's window in one zone, as UTC instants (ms). `closesAt === opensAt` when it never opens. */
export interface WindowInstance {
  localDate: IsoDate;
  opensAt: number;
  closesAt: number;
  /** The zone's UTC offset when the window opens, in minutes east of UTC. */
  utcOffsetMinutes: number;
}

export function parseLocalTime(text: string): number | undefined {
  const match = LOCAL_TIME_RE.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** Why a window as written is unusable, or undefined when it is fine. */
export function sendWindowProblem(window: SendWindow): string | undefined {
  const start = parseLocalTime(window.start);
  const end = parseLocalTime(window.end);
  if (start === undefined) return `start "${window.start}" is not a time written HH:MM (00:00–23:59)`;
  if (end === undefined) return `end "${window.end}" is not a time written HH:MM (00:00–23:59)`;
  if (end <= start) {
    return `end ${window.end} is not after start ${window.start}; a window lies within one local day`;
  }
  return undefined;
}

function minutesOf(window: SendWindow): { start: number; end: number } {
  const problem = sendWindowProblem(window);
  if (problem) throw new Error(`send window: ${problem}`);
  return { start: parseLocalTime(window.start) ?? 0, end: parseLocalTime(window.end) ?? 0 };
}

/**
 * The window on `localDate` in `zone`: the first unbroken span of time during which the zone's
 * clock reads from `start` up to (not including) `end` on that date. Daylight saving:
 * - a start inside the skipped hour opens the window when the clock jumps past it (02:30 → 03:00);
 *   a window entirely inside the skipped hour does not open that day (empty);
 * - a start inside the repeated hour opens at its first occurrence; the window closes the first time
 *   the clock reads `end`, or earlier when the clock falls back to before `start`, so no email ever
 *   goes out at a local time outside the window;
 * - a window spanning the change is an hour shorter (23-hour day) or longer (25-hour day) in UTC.
 */
export function windowOn(zone: string, localDate: IsoDate, window: SendWindow): WindowInstance {
  const { start, end } = minutesOf(window);
  const first = (minute: number) => {
    const at = instantsOfLocalTime(zone, localDate, minute);
    return at.instants[0] ?? at.resumesAt ?? Number.NaN;
  };
  const opensAt = first(start);
  let closesAt = Math.max(opensAt, first(end));
  if (closesAt > opensAt && utcOffsetMinutes(zone, closesAt - 1) < utcOffsetMinutes(zone, opensAt)) {
    // The clock falls back inside the window: it closes there if the repeat goes back before start.
    const change = offsetChangeBetween(zone, opensAt, closesAt - 1);
    if (wallClock(zone, change).minuteOfDay < start) closesAt = change;
  }
  return { localDate, opensAt, closesAt, utcOffsetMinutes: utcOffsetMinutes(zone, opensAt) };
}

/**
 * The window a customer in `zone` is sent in for a run that is ready to send at `readyAt`: the
 * first window that has not closed yet (one already open counts). Local dates from the day before
 * `readyAt`'s UTC date are tried so that zones west and east of UTC are both covered.
 */
export function nextWindow(zone: string, window: SendWindow, readyAt: number): WindowInstance {
  const utcDate = new Date(readyAt).toISOString().slice(0, 10);
  for (let day = -1; day <= 2; day += 1) {
    const instance = windowOn(zone, addDays(utcDate, day), window);
    if (instance.closesAt > readyAt && instance.closesAt > instance.opensAt) return instance;
  }
  throw new Error(`no ${window.start}–${window.end} window in ${zone} within two days of ${utcDate}`);
}

export type WindowCheck =
  | { state: 'wait'; waitMs: number }
  | { state: 'open'; closesInMs: number }
  | { state: 'missed' };

/**
 * Whether a send group may go out at `now`. Checked right before each group, so a wave slowed down
 * by throttling or the quota stops at its window's end instead of mailing at 3 a.m. local.
 */
export function checkWindow(window: Pick<WindowInstance, 'opensAt' | 'closesAt'>, now: number): WindowCheck {
  if (now < window.opensAt) return { state: 'wait', waitMs: window.opensAt - now };
  if (now < window.closesAt) return { state: 'open', closesInMs: window.closesAt - now };
  return { state: 'missed' };
}
