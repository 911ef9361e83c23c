import { addDays } from '../../functions/domain/night/dates.js';

/**
 * Clock skew for the chaos harness: the process's wall clock (Date, Date.now) is moved so that a
 * night runs across an awkward instant. Monotonic time (performance.now, timers) is left alone, as
 * a real skewed clock leaves it. Only the chaos harness calls this, around one night at a time.
 */

const RealDate = Date;

/**
 * Daylight-saving changes near the default chaos nights: US (America/New_York) ends 2026-11-01
 * 06:00 UTC, the EU (Europe/Berlin) starts 2027-03-28 01:00 UTC, the US starts 2027-03-14 07:00 UTC.
 */
const DST_CHANGES = [
  '2026-10-25T01:00:00Z',
  '2026-11-01T06:00:00Z',
  '2027-03-14T07:00:00Z',
  '2027-03-28T01:00:00Z',
];

/**
 * The instant the wall clock shows when the night of `runDate` starts: two seconds before UTC
 * midnight at the start of the run date (even nights: the clock still shows the day before, and
 * crosses midnight within the night), or two seconds before the daylight-saving change nearest the
 * run date (odd nights).
 */
export function skewedStart(runDate: string, nightIndex: number): number {
  if (nightIndex % 2 === 0) return RealDate.parse(`${runDate}T00:00:00Z`) - 2_000;
  const day = RealDate.parse(`${runDate}T00:00:00Z`);
  let nearest = RealDate.parse(DST_CHANGES[0] as string);
  for (const s of DST_CHANGES) {
    const t = RealDate.parse(s);
    if (Math.abs(t - day) < Math.abs(nearest - day)) nearest = t;
  }
  // Far from every listed change: the midnight at the end of the run date instead.
  if (Math.abs(nearest - day) > 40 * 86_400_000)
    return RealDate.parse(`${addDays(runDate, 1)}T00:00:00Z`) - 2_000;
  return nearest - 2_000;
}

/** Moves the wall clock by `offsetMs` until the returned function restores it. */
export function skewClock(offsetMs: number): () => void {
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...(args as [string]));
    }
    static override now(): number {
      return RealDate.now() + offsetMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
