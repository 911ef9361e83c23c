import type { Config } from '../config.js';
import { type SendClock, simulatedClock, systemClock } from '../domain/delivery/sendClock.js';

/** Where a simulated night starts when SIMULATED_NOW is not set: the nightly schedule's default time. */
export const SIMULATED_NIGHT_START_UTC = '02:00';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The night's wall clock (epoch ms): the system clock, or under the simulated clock the run date's
 * start (or SIMULATED_NOW) moving on with real time since SIMULATED_SINCE_MS (standing still when
 * that is not set). Prepare reads it for the moment the waves are planned from.
 */
export function nightNow(
  config: Pick<Config, 'SEND_CLOCK' | 'SIMULATED_NOW' | 'SIMULATED_SINCE_MS'>,
  runDate: string,
  realNow: () => number = Date.now,
): () => number {
  if (config.SEND_CLOCK === 'system') return realNow;
  const start =
    config.SIMULATED_NOW !== undefined
      ? Date.parse(config.SIMULATED_NOW)
      : Date.parse(`${runDate}T${SIMULATED_NIGHT_START_UTC}:00Z`);
  const since = config.SIMULATED_SINCE_MS;
  return since === undefined ? () => start : () => start + Math.max(0, realNow() - since);
}

/**
 * The send stage's clock for one invocation. The system clock really waits (on AWS the Wait state
 * has already waited, so this is at most a moment); the simulated one jumps to the awaited instant
 * and moves with elapsed time after it, so a local night sends each wave at once.
 */
export function sendClockFor(
  config: Pick<Config, 'SEND_CLOCK' | 'SIMULATED_NOW' | 'SIMULATED_SINCE_MS'>,
  runDate: string,
): SendClock {
  return config.SEND_CLOCK === 'system' ? systemClock(sleep) : simulatedClock(nightNow(config, runDate)());
}
