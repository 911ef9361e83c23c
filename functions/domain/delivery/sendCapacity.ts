import { parseLocalTime, type SendWindow } from './sendWindow.js';

/**
 * Will tonight's sending fit? Checked by Prepare before any email goes out: the expected sends
 * against the SES daily quota left (Max24HourSend − SentLast24Hours) and against the send window
 * (expected sends / the send rate must fit in the window's length).
 */
export interface SendCapacityCheck {
  expectedSends: number;
  /** Where the estimate comes from: the previous night's sent count, or none known yet. */
  basis: 'previous_night' | 'none';
  /** Daily quota left, null when SES did not say (or unlimited). */
  remainingQuota: number | null;
  maxSendRate: number;
  /** Hours of sending the expected sends need at maxSendRate. */
  hoursNeeded: number;
  windowHours: number;
  /** Plain-words problems; empty when the night fits. */
  problems: string[];
}

/** Length of a local-time send window in hours (a window never crosses midnight). */
export function sendWindowHours(window: SendWindow): number {
  const start = parseLocalTime(window.start);
  const end = parseLocalTime(window.end);
  if (start === undefined || end === undefined || end <= start) {
    throw new Error(`send window ${window.start}-${window.end} is not HH:MM-HH:MM with end after start`);
  }
  return (end - start) / 60;
}

export function checkSendCapacity(input: {
  expectedSends: number;
  basis: SendCapacityCheck['basis'];
  quota?: { max24HourSend: number; sentLast24Hours: number } | undefined;
  maxSendRate: number;
  window: SendWindow;
}): SendCapacityCheck {
  const { expectedSends, maxSendRate } = input;
  if (!(maxSendRate > 0)) throw new Error(`send rate must be > 0, got ${maxSendRate}`);
  const remainingQuota =
    input.quota && input.quota.max24HourSend >= 0
      ? Math.max(0, Math.floor(input.quota.max24HourSend - Math.max(0, input.quota.sentLast24Hours)))
      : null;
  const windowHours = sendWindowHours(input.window);
  const hoursNeeded = expectedSends / maxSendRate / 3600;
  const problems: string[] = [];
  if (remainingQuota !== null && expectedSends > remainingQuota) {
    problems.push(
      `expected ${expectedSends} sends exceed the SES daily quota left (${remainingQuota}): the rest stays queued`,
    );
  }
  if (hoursNeeded > windowHours) {
    problems.push(
      `expected ${expectedSends} sends need ${hoursNeeded.toFixed(1)} h at ${maxSendRate}/s, longer than the ${windowHours} h send window ${input.window.start}-${input.window.end}`,
    );
  }
  return {
    expectedSends,
    basis: input.basis,
    remainingQuota,
    maxSendRate,
    hoursNeeded,
    windowHours,
    problems,
  };
}
