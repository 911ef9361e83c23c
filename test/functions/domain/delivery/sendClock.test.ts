import { describe, expect, it } from 'vitest';
import { awaitWindow, simulatedClock, systemClock } from '../../../../functions/domain/delivery/sendClock.js';

const utc = (iso: string) => Date.parse(iso);
const window = { opensAt: utc('2026-12-03T14:00Z'), closesAt: utc('2026-12-03T16:00Z') };

/** A hand-driven elapsed-time source, so the tests do not depend on how fast the machine is. */
function manualElapsed() {
  let t = 0;
  return { elapsed: () => t, advance: (ms: number) => (t += ms) };
}

describe('simulatedClock', () => {
  it('moves with elapsed time and jumps forward on a wait, never backwards', async () => {
    const time = manualElapsed();
    const clock = simulatedClock(utc('2026-12-03T02:00Z'), time.elapsed);
    time.advance(1500);
    expect(clock.now()).toBe(utc('2026-12-03T02:00:01.500Z'));
    await clock.waitUntil(window.opensAt);
    expect(clock.now()).toBe(window.opensAt);
    await clock.waitUntil(utc('2026-12-03T03:00Z'));
    expect(clock.now()).toBe(window.opensAt);
    time.advance(250);
    expect(clock.now()).toBe(window.opensAt + 250);
  });
});

describe('awaitWindow', () => {
  it('waits for the window and sends at its opening under the simulated clock', async () => {
    const clock = simulatedClock(utc('2026-12-03T02:00Z'), manualElapsed().elapsed);
    expect(await awaitWindow(clock, window)).toEqual({ send: true, at: window.opensAt });
  });

  it('sends at once inside the window', async () => {
    const clock = simulatedClock(utc('2026-12-03T15:00Z'), manualElapsed().elapsed);
    expect(await awaitWindow(clock, window)).toEqual({ send: true, at: utc('2026-12-03T15:00Z') });
  });

  it('refuses a window that has closed (a late or slowed wave is never sent at 3 a.m.)', async () => {
    const time = manualElapsed();
    const clock = simulatedClock(utc('2026-12-03T15:59Z'), time.elapsed);
    expect((await awaitWindow(clock, window)).send).toBe(true);
    time.advance(60_000);
    expect(await awaitWindow(clock, window)).toEqual({
      send: false,
      reason: 'window_missed',
      at: window.closesAt,
    });
  });

  it('really waits with the system clock', async () => {
    const slept: number[] = [];
    const clock = systemClock(async (ms) => {
      slept.push(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    });
    const opensAt = Date.now() + 30;
    const gate = await awaitWindow(clock, { opensAt, closesAt: opensAt + 60_000 });
    expect(gate.send).toBe(true);
    expect(gate.at).toBeGreaterThanOrEqual(opensAt);
    expect(slept.length).toBeGreaterThan(0);
  });
});
