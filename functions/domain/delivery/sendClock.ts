// The clock the send stage reads and waits on: the system clock on AWS (and under `--real-time`
// locally), or a simulated clock that skips the waits, so a local night sends each wave at once
// while every email still carries the moment it was scheduled for.
import { checkWindow, type WindowInstance } from './sendWindow.js';

export interface SendClock {
  /** Milliseconds since the epoch, as this clock tells it. */
  now(): number;
  /** Resolves once `now()` has reached `instantMs` (at once when it already has). */
  waitUntil(instantMs: number): Promise<void>;
}

export function systemClock(sleep: (ms: number) => Promise<void>): SendClock {
  return {
    now: () => Date.now(),
    async waitUntil(instantMs) {
      // setTimeout may fire a little early; loop until the wall clock agrees.
      for (let left = instantMs - Date.now(); left > 0; left = instantMs - Date.now()) await sleep(left);
    },
  };
}

/**
 * Starts at `startMs` and moves with real elapsed time; a wait jumps straight to its target.
 * Never goes backwards, so a window check made after a jump sees the jumped-to time.
 */
export function simulatedClock(startMs: number, elapsed: () => number = () => performance.now()): SendClock {
  const origin = elapsed();
  let skipped = 0;
  const now = () => startMs + skipped + (elapsed() - origin);
  return {
    now,
    async waitUntil(instantMs) {
      const left = instantMs - now();
      if (left > 0) skipped += left;
    },
  };
}

export type WindowGate = { send: true; at: number } | { send: false; reason: 'window_missed'; at: number };

/**
 * The check right before each send group: waits for the window to open, then says whether the group
 * may go. A window already closed (late run, throttling, quota) is `window_missed`: the entries are
 * recorded as skipped and are never sent outside their local window.
 */
export async function awaitWindow(
  clock: SendClock,
  window: Pick<WindowInstance, 'opensAt' | 'closesAt'>,
): Promise<WindowGate> {
  const first = checkWindow(window, clock.now());
  if (first.state === 'wait') await clock.waitUntil(window.opensAt);
  const at = clock.now();
  return checkWindow(window, at).state === 'open'
    ? { send: true, at }
    : { send: false, reason: 'window_missed', at };
}
