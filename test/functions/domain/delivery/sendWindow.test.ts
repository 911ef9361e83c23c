import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  instantsOfLocalTime,
  utcOffsetMinutes,
  wallClock,
} from '../../../../functions/domain/delivery/localTime.js';
import {
  checkWindow,
  nextWindow,
  type SendWindow,
  sendWindowProblem,
  windowOn,
} from '../../../../functions/domain/delivery/sendWindow.js';

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');
const span = (zone: string, date: string, window: SendWindow) => {
  const w = windowOn(zone, date, window);
  return [iso(w.opensAt), iso(w.closesAt)];
};
const MORNING: SendWindow = { start: '09:00', end: '11:00' };

describe('utcOffsetMinutes / instantsOfLocalTime', () => {
  it('reads offsets east and west of UTC, half hours included', () => {
    expect(utcOffsetMinutes('Europe/Berlin', utc('2026-07-01T12:00Z'))).toBe(120);
    expect(utcOffsetMinutes('Europe/Berlin', utc('2026-01-01T12:00Z'))).toBe(60);
    expect(utcOffsetMinutes('America/New_York', utc('2026-01-01T12:00Z'))).toBe(-300);
    expect(utcOffsetMinutes('Asia/Kolkata', utc('2026-01-01T12:00Z'))).toBe(330);
    expect(utcOffsetMinutes('UTC', utc('2026-01-01T12:00Z'))).toBe(0);
  });

  it('finds no instant in the skipped hour and two in the repeated hour', () => {
    // New York 2026: clocks go 02:00 → 03:00 on 8 March and 02:00 → 01:00 on 1 November.
    const skipped = instantsOfLocalTime('America/New_York', '2026-03-08', 150);
    expect(skipped.instants).toEqual([]);
    expect(iso(skipped.resumesAt ?? 0)).toBe('2026-03-08T07:00Z');
    const repeated = instantsOfLocalTime('America/New_York', '2026-11-01', 90);
    expect(repeated.instants.map(iso)).toEqual(['2026-11-01T05:30Z', '2026-11-01T06:30Z']);
    expect(instantsOfLocalTime('America/New_York', '2026-11-01', 9 * 60).instants.map(iso)).toEqual([
      '2026-11-01T14:00Z',
    ]);
  });

  it('round-trips any minute of any day through the wall clock (property)', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kolkata',
      'America/Santiago',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: utc('2025-01-01T00:00Z') / 60_000, max: utc('2028-01-01T00:00Z') / 60_000 }),
        (zone, minute) => {
          const t = minute * 60_000;
          const clock = wallClock(zone, t);
          expect(instantsOfLocalTime(zone, clock.date, clock.minuteOfDay).instants).toContain(t);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('windowOn', () => {
  it('is 09:00–11:00 local on ordinary days, winter and summer', () => {
    expect(span('Europe/Berlin', '2026-01-15', MORNING)).toEqual(['2026-01-15T08:00Z', '2026-01-15T10:00Z']);
    expect(span('Europe/Berlin', '2026-07-15', MORNING)).toEqual(['2026-07-15T07:00Z', '2026-07-15T09:00Z']);
    expect(span('Asia/Kolkata', '2026-07-15', MORNING)).toEqual(['2026-07-15T03:30Z', '2026-07-15T05:30Z']);
  });

  it('on the 23-hour day: a morning window takes the new offset, one spanning the jump is an hour shorter', () => {
    expect(span('America/New_York', '2026-03-08', MORNING)).toEqual([
      '2026-03-08T13:00Z',
      '2026-03-08T15:00Z',
    ]);
    expect(span('America/New_York', '2026-03-08', { start: '01:00', end: '04:00' })).toEqual([
      '2026-03-08T06:00Z',
      '2026-03-08T08:00Z',
    ]);
  });

  it('on the 23-hour day: a start in the skipped hour opens when the clock jumps past it', () => {
    expect(span('America/New_York', '2026-03-08', { start: '02:30', end: '04:00' })).toEqual([
      '2026-03-08T07:00Z',
      '2026-03-08T08:00Z',
    ]);
    // Half-hour change on Lord Howe Island: 02:00 → 02:30 on 4 October 2026.
    expect(span('Australia/Lord_Howe', '2026-10-04', { start: '02:00', end: '03:00' })).toEqual([
      '2026-10-03T15:30Z',
      '2026-10-03T16:00Z',
    ]);
  });

  it('on the 23-hour day: a window entirely in the skipped hour does not open, so the next day is used', () => {
    const w = windowOn('America/New_York', '2026-03-08', { start: '02:00', end: '03:00' });
    expect(w.closesAt).toBe(w.opensAt);
    const next = nextWindow('America/New_York', { start: '02:00', end: '03:00' }, utc('2026-03-08T05:00Z'));
    expect(next.localDate).toBe('2026-03-09');
    expect([iso(next.opensAt), iso(next.closesAt)]).toEqual(['2026-03-09T06:00Z', '2026-03-09T07:00Z']);
  });

  it('on the 25-hour day: a window spanning the repeat is an hour longer and stays inside its local times', () => {
    expect(span('America/New_York', '2026-11-01', { start: '00:00', end: '03:00' })).toEqual([
      '2026-11-01T04:00Z',
      '2026-11-01T08:00Z',
    ]);
    expect(span('America/New_York', '2026-11-01', MORNING)).toEqual([
      '2026-11-01T14:00Z',
      '2026-11-01T16:00Z',
    ]);
  });

  it('on the 25-hour day: a window starting in the repeated hour closes when the clock falls back before it', () => {
    // 01:30–02:00: the first 01:30 EDT, until the clock falls back to 01:00 EST (before 01:30).
    expect(span('America/New_York', '2026-11-01', { start: '01:30', end: '02:00' })).toEqual([
      '2026-11-01T05:30Z',
      '2026-11-01T06:00Z',
    ]);
    // 01:00–02:00 covers both passes of the repeated hour.
    expect(span('America/New_York', '2026-11-01', { start: '01:00', end: '02:00' })).toEqual([
      '2026-11-01T05:00Z',
      '2026-11-01T07:00Z',
    ]);
  });

  it('never includes an instant whose local time is outside the window (property, DST days included)', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'America/Santiago',
      'Asia/Tokyo',
    ];
    const days = [
      '2026-03-08',
      '2026-03-29',
      '2026-04-05',
      '2026-09-06',
      '2026-10-04',
      '2026-10-25',
      '2026-11-01',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...days),
        fc.integer({ min: 0, max: 1438 }),
        fc.integer({ min: 1, max: 240 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (zone, date, start, length, at) => {
          const end = Math.min(1439, start + length);
          const hhmm = (m: number) =>
            `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
          const w = windowOn(zone, date, { start: hhmm(start), end: hhmm(end) });
          if (w.closesAt === w.opensAt) return;
          const t = w.opensAt + Math.floor(((w.closesAt - w.opensAt) * at) / 60_000) * 60_000;
          const clock = wallClock(zone, t);
          expect(clock.date).toBe(date);
          expect(clock.minuteOfDay).toBeGreaterThanOrEqual(start);
          expect(clock.minuteOfDay).toBeLessThan(end);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('nextWindow', () => {
  const readyAt = utc('2026-12-03T02:00Z');
  it('takes the window still ahead: today in the Americas, tomorrow in Tokyo (already past 11:00)', () => {
    expect(iso(nextWindow('America/New_York', MORNING, readyAt).opensAt)).toBe('2026-12-03T14:00Z');
    expect(iso(nextWindow('Asia/Tokyo', MORNING, readyAt).opensAt)).toBe('2026-12-04T00:00Z');
    expect(iso(nextWindow('Pacific/Kiritimati', MORNING, readyAt).opensAt)).toBe('2026-12-03T19:00Z');
  });
  it('keeps a window that is open right now', () => {
    const w = nextWindow('Asia/Kolkata', MORNING, utc('2026-12-03T04:00Z'));
    expect([iso(w.opensAt), iso(w.closesAt)]).toEqual(['2026-12-03T03:30Z', '2026-12-03T05:30Z']);
  });
});

describe('checkWindow', () => {
  const w = { opensAt: utc('2026-12-03T14:00Z'), closesAt: utc('2026-12-03T16:00Z') };
  it('waits before, sends inside, and refuses after the window', () => {
    expect(checkWindow(w, utc('2026-12-03T13:00Z'))).toEqual({ state: 'wait', waitMs: 3_600_000 });
    expect(checkWindow(w, utc('2026-12-03T14:00Z'))).toEqual({ state: 'open', closesInMs: 7_200_000 });
    expect(checkWindow(w, utc('2026-12-03T15:59:59.999Z'))).toEqual({ state: 'open', closesInMs: 1 });
    expect(checkWindow(w, utc('2026-12-03T16:00Z'))).toEqual({ state: 'missed' });
  });
});

describe('sendWindowProblem', () => {
  it('accepts HH:MM windows within one day and says why others are refused', () => {
    expect(sendWindowProblem(MORNING)).toBeUndefined();
    expect(sendWindowProblem({ start: '9:00', end: '11:00' })).toMatch(
      /start "9:00" is not a time written HH:MM/,
    );
    expect(sendWindowProblem({ start: '09:00', end: '24:00' })).toMatch(/end "24:00"/);
    expect(sendWindowProblem({ start: '22:00', end: '06:00' })).toMatch(/not after start 22:00/);
  });
});
