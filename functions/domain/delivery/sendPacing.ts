/**
 * How the send segments that run at the same time share the account's SES send rate.
 *
 * The send stage is a Map over scan segments with `MaxConcurrency = sendMapConcurrency(segments)`;
 * the same number reaches every send Lambda as `SEND_CONCURRENCY` (infra/retentionStack.ts sets
 * both from this function), so each segment takes `rate / concurrency` and the segments that send
 * at once never ask SES for more than the account allows (see docs/delivery.md, *Send pacing*).
 */

/** Upper bound on send segments in flight: Lambda concurrency and DynamoDB stay modest. */
export const MAX_SEND_MAP_CONCURRENCY = 40;

/**
 * What one send segment keeps up with: it sends its group one message after another, each
 * SendEmail waiting for SES (tens of milliseconds on AWS), so a few dozen a second at most; 10 a
 * second leaves headroom.
 */
export const SENDS_PER_SEGMENT_PER_SECOND = 10;

/**
 * The send Map's MaxConcurrency for a run cut into `totalSegments` scan segments at an account rate
 * of `maxSendRate`. No more segments than the rate needs: a send Lambda is billed while it waits for
 * its share of the rate, so at 14/s forty segments would each sleep 39/40 of the time for hours
 * (about 40 × the Lambda-seconds) without sending a message sooner.
 */
export function sendMapConcurrency(totalSegments: number, maxSendRate?: number): number {
  if (!Number.isInteger(totalSegments) || totalSegments < 1) {
    throw new Error(`totalSegments must be a positive integer, got ${totalSegments}`);
  }
  if (maxSendRate !== undefined && !(Number.isFinite(maxSendRate) && maxSendRate > 0)) {
    throw new Error(`maxSendRate must be a positive number, got ${maxSendRate}`);
  }
  const forRate =
    maxSendRate === undefined
      ? MAX_SEND_MAP_CONCURRENCY
      : Math.max(1, Math.ceil(maxSendRate / SENDS_PER_SEGMENT_PER_SECOND));
  return Math.min(totalSegments, MAX_SEND_MAP_CONCURRENCY, forRate);
}

export interface SegmentShareInput {
  /** The configured MAX_SEND_RATE (messages per second). */
  configuredRate: number;
  /** SES GetAccount SendQuota.MaxSendRate, when SES tells it. */
  accountRate?: number | undefined;
  /** The send Map's MaxConcurrency (SEND_CONCURRENCY). */
  concurrency: number;
  /** Segments of the run: fewer than the concurrency can never run at once. */
  totalSegments: number;
  /** This segment's index, for the stagger of its first send. */
  segment: number;
}

export interface SegmentShare {
  /** The whole rate that the segments sending at once share. */
  accountRate: number;
  /** Segments that may send at once. */
  sharers: number;
  /** This segment's messages per second. */
  rate: number;
  /**
   * Tokens this segment's bucket starts with (bucket capacity 1): segment i starts empty by i/sharers
   * of a token, so the segments' first sends are 1/accountRate apart instead of all at once.
   */
  initialTokens: number;
}

/** Each of the segments sending at once gets an equal share; the shares sum to the account's rate. */
export function segmentSendShare(input: SegmentShareInput): SegmentShare {
  const { configuredRate, concurrency, totalSegments, segment } = input;
  if (!(Number.isFinite(configuredRate) && configuredRate > 0)) {
    throw new Error(`MAX_SEND_RATE must be > 0, got ${configuredRate}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`SEND_CONCURRENCY must be a positive integer, got ${concurrency}`);
  }
  const accountRate =
    input.accountRate !== undefined && Number.isFinite(input.accountRate) && input.accountRate > 0
      ? Math.min(configuredRate, input.accountRate)
      : configuredRate;
  const sharers = Math.max(1, Math.min(concurrency, totalSegments));
  const slot = ((segment % sharers) + sharers) % sharers;
  return { accountRate, sharers, rate: accountRate / sharers, initialTokens: 1 - slot / sharers };
}

/**
 * The most sends that `sharers` segments, each pacing with a token bucket of capacity 1 at
 * `accountRate / sharers`, can make in any window of `windowSeconds`: a bucket of capacity 1 admits
 * at most 1 + rate·W in a window of W, so together rate·W + sharers. The `sharers` term is the
 * burst allowance: at most one message per segment beyond the rate.
 */
export function sendWindowBound(accountRate: number, sharers: number, windowSeconds: number): number {
  return Math.floor(accountRate * windowSeconds + 1e-9) + sharers;
}

/** The most sends in any `windowMs` window of the timestamps (ms), by a sliding window. */
export function maxInWindow(timestampsMs: readonly number[], windowMs: number): number {
  const t = [...timestampsMs].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < t.length; end++) {
    while ((t[end] as number) - (t[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
